// A Coder client we did not write the protocol for: plain fetch (Node's own), driving
// `conformance serve` as a VS Code extension or a bot would. Reads CODER_URL,
// CODER_SESSION_TOKEN and IMITATION_CONTROL_URL; prints one line per step; exits non-zero on
// the first surprise.
import assert from "node:assert/strict";

const base = process.env.CODER_URL;
const control = process.env.IMITATION_CONTROL_URL;
const headers = { "Coder-Session-Token": process.env.CODER_SESSION_TOKEN, Accept: "application/json" };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path, body) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(base + path, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type"), body: text ? JSON.parse(text) : null };
}

const list = await call("GET", "/api/v2/external-auth");
assert.equal(list.status, 200);
assert.deepEqual(list.body.links, []);
const github = list.body.providers.find((p) => p.id === "github");
assert.ok(github && github.device, "github offers the device flow");
console.log("list: providers", list.body.providers.map((p) => p.id).join(","), "no links");

let status = await call("GET", "/api/v2/external-auth/github");
assert.equal(status.status, 200);
assert.equal(status.body.authenticated, false);
assert.equal(status.body.user, null);
console.log("github: not authenticated");

const device = await call("GET", "/api/v2/external-auth/github/device");
assert.equal(device.status, 200);
const { device_code, user_code, interval } = device.body;
assert.ok(device_code && user_code && interval >= 1);
console.log("device: code issued, interval", interval);

// Poll as Coder's web client does: every `interval` seconds, more slowly on slow_down.
let wait = interval * 1000;
let approved = false;
for (let poll = 1; poll <= 10; poll++) {
  await sleep(wait);
  const exchange = await call("POST", "/api/v2/external-auth/github/device", { device_code });
  if (exchange.status === 204) {
    assert.equal(exchange.type, null, "a 204 carries no Content-Type");
    console.log(`poll ${poll}: 204, linked`);
    approved = true;
    break;
  }
  assert.equal(exchange.status, 400);
  assert.equal(exchange.body.message, "Failed to exchange device code.");
  console.log(`poll ${poll}: 400 ${exchange.body.detail}`);
  if (exchange.body.detail === "slow_down") wait += 5000;
  if (poll === 1) {
    // The user approves the code, here through the imitation's control API.
    const approve = await fetch(control + "/device/approve", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user_code }),
    });
    assert.equal(approve.status, 204);
    console.log("control: approved", user_code.length, "character user code");
  }
}
assert.ok(approved, "the exchange succeeded after approval");

status = await call("GET", "/api/v2/external-auth/github");
assert.equal(status.body.authenticated, true);
const after = await call("GET", "/api/v2/external-auth");
assert.ok(after.body.links.some((link) => link.provider_id === "github" && link.authenticated));
console.log("github: authenticated, and the list shows the link");

const unknown = await fetch(control + "/device/approve", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ user_code: "NONE-SUCH" }),
});
assert.equal(unknown.status, 404);
assert.equal(typeof (await unknown.json()).message, "string");
const reset = await fetch(control + "/reset", { method: "POST" });
assert.equal(reset.status, 204);
console.log("control: unknown code 404, reset 204");
