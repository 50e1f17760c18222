// The bare stack the vault is measured against: Express 5 + helmet answering a small JSON body.
import express from 'express';
import helmet from 'helmet';

const app = express();
app.use(helmet());
app.use(express.json());
app.post('/echo', (_req, res) => {
  res.json({ ok: true, id: 'b4c3e1f0-0000-4000-8000-000000000000', kind: 'ftp', label: 'baseline' });
});
app.get('/echo', (_req, res) => {
  res.json({ ok: true, id: 'b4c3e1f0-0000-4000-8000-000000000000', kind: 'ftp', label: 'baseline' });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
