// The baseline of bench/live_storm.py: a minimal Node socket.io 4 server speaking the subset of the /live protocol
// (market/live/events.py) that the storm uses — join, order, chat, heart, and the host's pin/close_offer — with the stock in
// memory and the room's updates coalesced like the project's hub: stock and the `sold` ticker every
// LIVE_COALESCE_MS, hearts and viewers every LIVE_COUNTERS_MS. No database, no login beyond a token lookup: what
// a socket server costs with nothing else in the way. Not part of the product; run by the benchmark.
//
//   node bench/live_node.js --port 5055 --tokens tokens.txt [--host-token T]
//   GET /healthz → "ok"; GET /stats → {offers: [{id, sold, quantity}], orders, rss, sockets}
"use strict";

const http = require("http");
const fs = require("fs");
const { Server } = require("socket.io");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const PORT = Number(arg("port", "5055"));
const HOST_TOKEN = arg("host-token", "host");
const COALESCE_MS = Number(process.env.LIVE_COALESCE_MS || 200);
const COUNTERS_MS = Number(process.env.LIVE_COUNTERS_MS || 1000);
const SESSION_ID = 1;
const ROOM = `live-${SESSION_ID}`;
const TICKS = `${ROOM}-ticks`; // stock, sold, hearts, viewers as separate messages
const FRAMES = `${ROOM}-frames`; // joined with frames: true: one "tick" message per tick, like the project

// token → user id (the line number, from 1); the host's token is user 0
const users = new Map();
if (arg("tokens")) {
  fs.readFileSync(arg("tokens"), "utf8").split(/\s+/).filter(Boolean).forEach((t, i) => users.set(t, i + 1));
}
users.set(HOST_TOKEN, 0);

const offers = new Map(); // id → {id, product_id, title, unit, price_vnd, quantity, sold, per_buyer_limit, status}
const perBuyer = new Map(); // `${offer}:${user}` → units
const byKey = new Map(); // `${user}:${key}` → order
const chat = [];
let nextOffer = 1;
let nextOrder = 1;
let nextChat = 1;
let hearts = 0;
let dirty = new Set();
let sales = [];
const sent = { stock: new Map(), hearts: -1, viewers: -1 };

function remaining(o) {
  return o.status === "open" ? Math.max(0, o.quantity - o.sold) : 0;
}

function offerJson(o) {
  return { id: o.id, product_id: o.product_id, title: o.title, unit: o.unit, price_vnd: o.price_vnd,
           remaining: remaining(o), per_buyer_limit: o.per_buyer_limit, quantity: o.quantity, sold: o.sold,
           status: o.status, image: null };
}

function fail(error, message, extra) {
  return Object.assign({ ok: false, error, message }, extra || {});
}

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.end("ok");
  } else if (req.url === "/stats") {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({
      offers: [...offers.values()].map((o) => ({ id: o.id, sold: o.sold, quantity: o.quantity })),
      orders: nextOrder - 1, rss: process.memoryUsage().rss, sockets: io.of("/live").sockets.size,
    }));
  } else {
    res.statusCode = 404;
    res.end();
  }
});
const io = new Server(server, { cors: { origin: false }, serveClient: false });
const live = io.of("/live");

live.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (token == null) {
    socket.data.uid = null;
    return next();
  }
  if (!users.has(token)) {
    const err = new Error("not_logged_in");
    err.data = fail("not_logged_in", "Your login has expired. Please log in again.");
    return next(err);
  }
  socket.data.uid = users.get(token);
  socket.join(`user:${socket.data.uid}`);
  return next();
});

live.on("connection", (socket) => {
  let heartWindow = [0, 0];

  socket.on("join", (data, ack) => {
    if (typeof ack !== "function") return;
    if (!data || data.session_id !== SESSION_ID) return ack(fail("invalid", "This live session does not exist."));
    socket.join(ROOM);
    socket.join(data.frames === true ? FRAMES : TICKS);
    socket.data.joined = true;
    ack({ ok: true, snapshot: {
      session: { id: SESSION_ID, status: "live", title: "Phiên sầu riêng" },
      offers: [...offers.values()].filter((o) => o.status === "open").map(offerJson),
      chat: chat.slice(-50), viewers: live.adapter.rooms.get(ROOM)?.size || 0, hearts,
      you: { user_id: socket.data.uid, logged_in: socket.data.uid != null, is_host: socket.data.uid === 0,
             can_moderate: socket.data.uid === 0 },
    } });
  });

  socket.on("order", (data, ack) => {
    if (typeof ack !== "function") return;
    const uid = socket.data.uid;
    if (uid == null) return ack(fail("not_logged_in", "Please log in first."));
    if (!socket.data.joined) return ack(fail("invalid", "Join the live session first."));
    const o = data && offers.get(data.offer_id);
    const qty = data && data.qty;
    if (!o || !Number.isInteger(qty) || qty < 1 || typeof data.key !== "string" || data.key.length < 8) {
      return ack(fail("invalid", "Something in the request was not right."));
    }
    const key = `${uid}:${data.key}`;
    if (byKey.has(key)) return ack({ ok: true, order: byKey.get(key), remaining: remaining(o) });
    if (o.status !== "open") return ack(fail("offer_closed", "This offer has closed."));
    const mine = perBuyer.get(`${o.id}:${uid}`) || 0;
    if (mine + qty > o.per_buyer_limit) return ack(fail("limit_exceeded", "Each buyer may take at most so much."));
    if (o.sold + qty > o.quantity) {
      return ack(fail("sold_out", "Sold out. Watch for the next offer!", { remaining: remaining(o) }));
    }
    o.sold += qty;
    perBuyer.set(`${o.id}:${uid}`, mine + qty);
    const order = { id: nextOrder++, status: "pending", qty, total_vnd: qty * o.price_vnd };
    byKey.set(key, order);
    dirty.add(o.id);
    sales.push({ offer_id: o.id, buyer: `Khách ${uid}`, qty, unit: o.unit });
    ack({ ok: true, order, remaining: remaining(o) });
  });

  socket.on("chat", (data, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    if (socket.data.uid == null) return reply(fail("not_logged_in", "Please log in first."));
    if (!socket.data.joined) return reply(fail("invalid", "Join the live session first."));
    const text = data && typeof data.text === "string" ? data.text.trim() : "";
    if (!text || text.length > 300) return reply(fail("invalid", "Something in the request was not right."));
    const message = { id: nextChat++, user: `Khách ${socket.data.uid}`, user_id: socket.data.uid, text,
                      at: new Date().toISOString() };
    chat.push(message);
    if (chat.length > 50) chat.shift();
    live.to(ROOM).emit("chat", message);
    reply({ ok: true, chat: message });
  });

  socket.on("heart", () => {
    if (!socket.data.joined) return;
    const now = Date.now();
    if (now - heartWindow[0] >= 1000) heartWindow = [now, 0];
    if (heartWindow[1] >= 10) return;
    heartWindow[1] += 1;
    hearts += 1;
  });

  socket.on("pin", (data, ack) => {
    if (typeof ack !== "function") return;
    if (socket.data.uid !== 0) return ack(fail("forbidden", "Only the host of this session can do this."));
    const o = { id: nextOffer++, product_id: data.product_id, title: "Sầu riêng Monthong", unit: "kg",
                price_vnd: data.price_vnd, quantity: data.quantity, sold: 0, per_buyer_limit: data.per_buyer_limit,
                status: "open" };
    offers.set(o.id, o);
    live.to(ROOM).emit("offer", offerJson(o));
    ack({ ok: true, offer: offerJson(o) });
  });

  socket.on("close_offer", (data, ack) => {
    if (typeof ack !== "function") return;
    const o = data && offers.get(data.offer_id);
    if (socket.data.uid !== 0 || !o) return ack(fail("forbidden", "Only the host of this session can do this."));
    o.status = "closed";
    live.to(ROOM).emit("offer", offerJson(o));
    ack({ ok: true, offer: offerJson(o) });
  });
});

// The tick: what changed, coalesced; each part to TICKS at once, and all of them to FRAMES as one "tick".
let lastCounters = 0;
setInterval(() => {
  const frame = {};
  const tell = (event, payload) => {
    live.to(TICKS).emit(event, payload);
    if (event === "stock") (frame.stock = frame.stock || []).push(payload);
    else frame[event] = payload;
  };
  for (const id of dirty) {
    const left = remaining(offers.get(id));
    if (sent.stock.get(id) !== left) {
      sent.stock.set(id, left);
      tell("stock", { offer_id: id, remaining: left });
    }
  }
  dirty = new Set();
  if (sales.length) {
    const last = Object.assign({}, sales[sales.length - 1]);
    if (sales.length > 1) last.more = sales.length - 1;
    tell("sold", last);
    sales = [];
  }
  const now = Date.now();
  if (now - lastCounters >= COUNTERS_MS - COALESCE_MS / 2) {
    lastCounters = now;
    const viewers = live.adapter.rooms.get(ROOM)?.size || 0;
    if (viewers !== sent.viewers) {
      sent.viewers = viewers;
      tell("viewers", { count: viewers });
    }
    if (hearts !== sent.hearts) {
      sent.hearts = hearts;
      tell("hearts", { total: hearts });
    }
  }
  if (Object.keys(frame).length) live.to(FRAMES).emit("tick", frame);
}, COALESCE_MS);

server.listen(PORT, "127.0.0.1");
