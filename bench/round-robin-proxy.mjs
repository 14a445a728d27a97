// A tiny round-robin HTTP balancer in a process of its own (so that it does not share an event
// loop with the load generator): `node bench/round-robin-proxy.mjs <base url>…`. It prints its
// port on the first line of standard output.
import { createServer, request } from "node:http";

const targets = process.argv.slice(2).map((base) => new URL(base));
let next = 0;
const server = createServer((req, res) => {
  const target = targets[next++ % targets.length];
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", () => process.exit(0));
