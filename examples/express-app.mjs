// A small real Express app served by odoo-prefork's workers:
//   npx odoo-prefork --workers 3 --app examples/express-app.mjs
// An Express app is a Node request listener, so it is the module's default export as is.
import express from 'express';
import { workerInfo } from 'odoo-prefork/runtime';

const app = express();
app.use(express.json());

const notes = [];

app.get('/', (req, res) => {
  const info = workerInfo();
  res.json({ app: 'express', worker: info.kind === 'threaded' ? 'threaded' : `#${info.id}`, pid: process.pid, ip: req.ip });
});

// Each worker is its own process: this list is per worker, as module state is in Odoo workers.
app.post('/notes', (req, res) => {
  notes.push(req.body);
  res.status(201).json({ pid: process.pid, count: notes.length });
});

app.get('/slow', async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, Number(req.query.ms ?? 200)));
  res.json({ pid: process.pid, waited: Number(req.query.ms ?? 200) });
});

export default app;
