// The load generator of bench/live_storm.py: N viewers as bare websockets speaking Engine.IO 4 / Socket.IO 5
// frames (the `ws` package socket.io already brings), all on one Node event loop, with as little parsing as
// possible (a frame's event name is read from its first bytes; JSON is parsed only for acks and stamped chat).
// python-socketio clients cost the load generator more CPU than the server it measured, and at 5 000 viewers they
// lost their sockets to ping timeouts; one Node loop holds 5 000 at a few percent of a core. The same generator
// drives the project and the Node baseline in the same run. Not part of the product.
//
// Driven by the orchestrator through stdin/stdout, one JSON line per command and per reply:
//   {"cmd": "join", "args": [concurrency]}           → [[join seconds…], [retried errors…]]
//   {"cmd": "warm", "args": [start, seconds, chatter indices, hearts per second]} → ["warmed"]
//   {"cmd": "stamp", "args": [text]}                 → [send epoch seconds] (the first viewer writes it in the chat)
//   {"cmd": "stamps", "args": [texts, wait]}         → {text: [arrival epoch seconds…]}
//   {"cmd": "storm", "args": [fire_at, offer_id, phase]} → [[from the instant, from the write, write, ack]…]
//   {"cmd": "report"} → [{phase: {event: count}}, {command: CPU-s}, dropped]       {"cmd": "close"} → ["closed"]
//
//   node bench/live_crowd.js --url http://127.0.0.1:5000 --tokens tokens.txt [--first 0] [--session 1] [--frames]
"use strict";

const fs = require("fs");
const readline = require("readline");
const WebSocket = require("ws");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const URL_ = arg("url").replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
const TOKENS = fs.readFileSync(arg("tokens"), "utf8").split(/\s+/).filter(Boolean);
const FIRST = Number(arg("first", "0"));
const SESSION = Number(arg("session", "1"));
const FRAMES = process.argv.includes("--frames"); // ask for one combined frame per tick (the opt-in `frames` flag)
const NS = "/live,";
const now = () => performance.timeOrigin / 1000 + performance.now() / 1000; // epoch seconds, sub-ms
const mono = () => performance.now() / 1000;

let phase = "join";
const counts = {};
const cpu = {};

function count(event) {
  const c = counts[phase] || (counts[phase] = {});
  c[event] = (c[event] || 0) + 1;
}

class Viewer {
  constructor(index, token) {
    this.index = index;
    this.token = token;
    this.ws = null;
    this.open = false;
    this.nextAck = 1;
    this.acks = new Map(); // ack id → callback(data)
    this.stamps = new Map();
    this.onConnect = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(URL_, { perMessageDeflate: false, handshakeTimeout: 60000 });
      this.ws = ws;
      let settled = false;
      const fail = (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        }
      };
      ws.on("error", fail);
      ws.on("close", () => {
        this.open = false;
        fail(new Error("closed"));
      });
      this.onConnect = (ok, data) => {
        settled = true;
        if (ok) {
          this.open = true;
          resolve();
        } else {
          reject(new Error(`refused: ${data}`));
        }
      };
      ws.on("message", (buf) => this.receive(buf.toString()));
    });
  }

  receive(s) {
    const c = s.charCodeAt(0);
    if (c === 50) { // "2": Engine.IO ping
      this.ws.send("3");
      return;
    }
    if (c === 48) { // "0": Engine.IO open → connect to the namespace with the token
      this.ws.send("40" + NS + JSON.stringify({ token: this.token }));
      return;
    }
    if (c !== 52) return; // not a message
    const kind = s.charCodeAt(1);
    if (kind === 50) { // "42/live,[\"event\",…]"
      const start = s.indexOf("[\"");
      const end = s.indexOf("\"", start + 2);
      const event = s.slice(start + 2, end);
      count(event);
      if (event === "chat" && s.includes("bench-stamp ")) {
        const data = JSON.parse(s.slice(start))[1];
        if (data && typeof data.text === "string" && data.text.startsWith("bench-stamp ")) {
          this.stamps.set(data.text, now());
        }
      }
    } else if (kind === 51) { // "43/live,<id>[data]": an ack
      const at = s.indexOf("[", NS.length + 2);
      const id = Number(s.slice(2 + NS.length, at));
      const cb = this.acks.get(id);
      if (cb) {
        this.acks.delete(id);
        cb(JSON.parse(s.slice(at))[0]);
      }
    } else if (kind === 48) { // "40/live,{sid}": connected
      if (this.onConnect) this.onConnect(true);
    } else if (kind === 52) { // "44/live,{error}": refused
      if (this.onConnect) this.onConnect(false, s);
    }
  }

  emit(event, data, cb) {
    if (!this.open) return false;
    let id = "";
    if (cb) {
      id = String(this.nextAck++);
      this.acks.set(Number(id), cb);
    }
    this.ws.send("42" + NS + id + JSON.stringify([event, data]));
    return true;
  }

  call(event, data, timeoutS) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${event}: no ack in ${timeoutS} s`)), timeoutS * 1000);
      if (!this.emit(event, data, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      })) {
        clearTimeout(timer);
        reject(new Error("not connected"));
      }
    });
  }
}

const viewers = TOKENS.map((t, i) => new Viewer(FIRST + i, t));
const sleep = (s) => new Promise((r) => setTimeout(r, Math.max(0, s * 1000)));

const commands = {
  async join(concurrency) {
    const errors = [];
    const joins = new Array(viewers.length).fill(null);
    let next = 0;
    const join = { session_id: SESSION };
    if (FRAMES) join.frames = true;
    async function one(k) {
      const v = viewers[k];
      const t0 = mono();
      // A refused or timed-out connect is retried as the Socket.IO client in a browser does (1–5 s apart; on a
      // saturated machine 5 000 handshakes at once overrun the server's 60 s), up to 20 times.
      for (let attempt = 0; ; attempt++) {
        try {
          await v.connect();
          break;
        } catch (err) {
          errors.push(String(err.message || err));
          if (v.ws) v.ws.terminate();
          if (attempt === 19) throw err;
          await sleep(1 + Math.random() * 4);
        }
      }
      for (let attempt = 0; ; attempt++) { // "unavailable" (the server is saturated): again, as the page does
        const ack = await v.call("join", join, 600);
        if (ack && ack.ok) break;
        if (!ack || ack.error !== "unavailable" || attempt === 19) {
          throw new Error(`join refused: ${JSON.stringify(ack)}`);
        }
        errors.push("join unavailable");
        await sleep(2);
      }
      joins[k] = mono() - t0;
    }
    async function worker() {
      while (next < viewers.length) await one(next++);
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, viewers.length) }, worker));
    return [joins, errors];
  },

  async warm(start, seconds, chatters, heartsPerS) {
    phase = "warm";
    const chat = new Set(chatters);
    await sleep(start - now());
    const stop = mono() + seconds;
    const period = 1 / (heartsPerS || 1);
    if (seconds <= 0) return ["warmed"];
    await Promise.all(viewers.map(async (v) => {
      let chatAt = chat.has(v.index) ? mono() + 0.5 + Math.random() * (seconds - 1) : null;
      await sleep(Math.random() * period);
      while (mono() < stop && v.open) {
        v.emit("heart", {});
        if (chatAt !== null && mono() >= chatAt) {
          v.emit("chat", { text: `Chốt đơn cho em với chị ơi #${v.index}` });
          chatAt = null;
        }
        await sleep(period * (0.6 + 0.8 * Math.random()));
      }
    }));
    return ["warmed"];
  },

  // A stamped chat message for the fan-out figure, written by this generator's first viewer (an ordinary member
  // of the crowd, on the same clock as the arrivals it is compared with) → [send epoch seconds], [null] if closed.
  async stamp(text) {
    const at = now();
    return [viewers[0].emit("chat", { text }) ? at : null];
  },

  async stamps(texts, wait) {
    const deadline = mono() + wait;
    while (mono() < deadline && viewers.some((v) => v.open && texts.some((t) => !v.stamps.has(t)))) await sleep(0.2);
    await sleep(1);
    const out = {};
    for (const t of texts) out[t] = viewers.filter((v) => v.stamps.has(t)).map((v) => v.stamps.get(t));
    return out;
  },

  async storm(fireAt, offerId, name) {
    phase = name || "storm";
    const results = viewers.map(() => [null, null, null, null]);
    let left = viewers.length;
    let resolveDone;
    const done = new Promise((r) => { resolveDone = r; });
    await sleep(fireAt - now());
    const t0 = mono();
    // Written in slices of 100 with the loop turning in between, so acks that arrive while the rest are written
    // are read when they arrive (a 5 000-frame synchronous loop would add its own length to the first acks).
    for (let k = 0; k < viewers.length; k++) {
      const v = viewers[k];
      const key = `storm-${String(v.index).padStart(6, "0")}-${Math.floor(Math.random() * 2 ** 32).toString(16)}`;
      const r = results[k];
      const ok = v.emit("order", { offer_id: offerId, qty: 1, key }, (ack) => {
        const at = mono();
        r[0] = at - t0;
        r[1] = at - r[2] - t0;
        r[3] = ack;
        if (--left === 0) resolveDone();
      });
      if (ok) r[2] = mono() - t0;
      else if (--left === 0) resolveDone();
      if (k % 100 === 99) await new Promise((res) => setImmediate(res));
    }
    await Promise.race([done, sleep(120)]);
    await sleep(1.0); // the coalesced stock and ticker messages that follow
    return results.map((r) => (r[3] === null ? [null, null, null, null] : r));
  },

  async report() {
    return [counts, cpu, viewers.filter((v) => !v.open).length];
  },

  async close() {
    for (const v of viewers) if (v.ws) v.ws.terminate();
    return ["closed"];
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  const { cmd, args } = JSON.parse(line);
  const c0 = process.cpuUsage();
  let reply;
  try {
    reply = await commands[cmd](...(args || []));
  } catch (err) {
    reply = ["error", `${cmd}: ${err.stack || err}`];
  }
  const used = process.cpuUsage(c0);
  cpu[cmd] = (used.user + used.system) / 1e6;
  process.stdout.write(JSON.stringify(reply) + "\n");
  if (cmd === "close") process.exit(0);
});
