// Refuse any connect that is not to loopback (or a unix socket), before a
// packet leaves: node --require ./guard.cjs. @smithy's IMDS provider defaults
// to 169.254.169.254, which answers on these cloud machines.
const net = require("net");
const connect = net.Socket.prototype.connect;
const loopback = (host) => host === "localhost" || host === "::1" || /^127\./.test(host);
net.Socket.prototype.connect = function (...args) {
  let options = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof options !== "object" || options === null) {
    options = { port: options, host: typeof args[1] === "string" ? args[1] : "localhost" };
  }
  const host = options.host ?? "localhost";
  if (!options.path && !loopback(host)) {
    throw new Error(`guard: refused a connect to ${host} (loopback only)`);
  }
  return connect.apply(this, args);
};
// The guard itself: a documentation address (RFC 5737) is refused, unsent.
let refused = false;
try {
  net.connect({ host: "192.0.2.1", port: 80 });
} catch (e) {
  refused = true;
}
if (!refused) {
  console.error("guard: a non-loopback connect went through");
  process.exit(1);
}
