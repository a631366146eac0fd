import net from 'node:net';
let writes = 0, bytes = 0, t = 0;
const orig = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  writes++; bytes += chunk.length;
  const t0 = performance.now();
  const r = orig.call(this, chunk, ...rest);
  t += performance.now() - t0;
  return r;
};
process.on('exit', () => { if (process.argv[3] === 'work') console.error(`[${process.argv[2]} ${process.argv[3]}] socket writes ${writes}, bytes ${bytes}, ms in write ${t.toFixed(0)}`); });
