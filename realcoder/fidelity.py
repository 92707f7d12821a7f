#!/usr/bin/env python3
"""The imitation against the real Coder, response by response.

One scripted sequence of requests, reaching every variant the lane's deployment can show, is
sent to the real server (realcoder/up) and to `conformance serve` configured like it (the same
providers, link, agent and template version; see imitation_config). Each pair of answers is
compared on status, media type, the contract's headers (WWW-Authenticate, Allow) and the body,
after normalising what differs by nature: ids and tokens, timestamps, the origin, and the
secrets (never printed: the normalised form replaces them).

Usage: fidelity.py --real ENV --imitation ENV --release X.Y.Z [--json OUT] [--evidence OUT]
  ENV: a file of KEY=VALUE lines as realcoder/up and conformance serve print them.
Exit 0 when every compared response is identical or a listed limitation, 1 otherwise, 2 on
bad input.
"""

import argparse
import http.client
import json
import re
import sys
import time
import urllib.parse
import uuid

# Differences that are known and reasoned: (request name, what differs) -> why. A difference
# listed here is reported as a limitation, not as a failure; README "Fidelity" lists them.
LIMITATIONS = {
    ("device exchange, unknown code", "body"):
        "the detail is the identity provider's own error, passed through by golang.org/x/oauth2: "
        "realidp (Coder's oidctest) answers 400 invalid_request, GitHub 200 "
        "incorrect_device_code, which the imitation imitates",
}

SECRET_KEYS = {"access_token", "password", "device_code", "user_code", "token"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
ORIGIN = re.compile(r"https?://(127\.0\.0\.1|localhost|\[::1\]):\d+")
ZERO_TIME = "0001-01-01T00:00:00Z"


def read_env(path):
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            key, sep, value = line.strip().partition("=")
            if sep:
                values[key] = value
    return values


def normalise_text(text):
    text = ORIGIN.sub("<origin>", text)
    if text == ZERO_TIME:
        return "<zero time>"
    text = TIME.sub("<time>", text)
    return UUID.sub("<uuid>", text)


def normalise(value, key=None, username_is_token=False):
    if key in SECRET_KEYS and isinstance(value, str) and value:
        return "<secret>"
    if key == "username" and username_is_token and value:
        return "<secret>"
    if key == "token_extra" and isinstance(value, dict):
        return {k: "<secret>" for k in sorted(value)}
    if key == "verification_uri" and isinstance(value, str):
        # oidctest puts the device and user codes in its verification URI's query.
        return normalise_text(value.split("?", 1)[0])
    if isinstance(value, dict):
        token_user = value.get("username") and value.get("username") == value.get("access_token")
        return {k: normalise(v, k, token_user) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, str):
        return normalise_text(value)
    return value


class Target:
    def __init__(self, env, name):
        self.name = name
        self.url = urllib.parse.urlsplit(env["CODER_URL"])
        self.session = env["CODER_SESSION_TOKEN"]
        self.agent = env["CODER_AGENT_TOKEN"]
        self.template_version = env["CODER_TEMPLATE_VERSION"]

    def send(self, method, path, token=None, body=None):
        connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Coder-Session-Token"] = token
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        answer = {
            "status": response.status,
            "media_type": (response.getheader("Content-Type") or "").replace(" ", ""),
            "www_authenticate": normalise_text(response.getheader("WWW-Authenticate") or ""),
            "allow": response.getheader("Allow") or "",
        }
        connection.close()
        try:
            answer["body"] = normalise(json.loads(data)) if data else None
            answer["json"] = json.loads(data) if data else None
        except ValueError:
            answer["body"] = normalise_text(data.decode("utf-8", "replace"))
            answer["json"] = None
        return answer


def sequence(target):
    """The scripted requests as (name, method, path, token, body). `target` fills in its own
    tokens and version id; everything else is the same for both."""
    session, agent = target.session, target.agent
    version = target.template_version
    agent_path = "/api/v2/workspaceagents/me/external-auth"
    steps = [
        ("list", "GET", "/api/v2/external-auth", session, None),
        ("list, no token", "GET", "/api/v2/external-auth", None, None),
        ("list, malformed token", "GET", "/api/v2/external-auth", "malformed", None),
        ("list, unknown token", "GET", "/api/v2/external-auth", "aaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbb", None),
        ("get fake", "GET", "/api/v2/external-auth/fake", session, None),
        ("get fake-device", "GET", "/api/v2/external-auth/fake-device", session, None),
        ("get unknown provider", "GET", "/api/v2/external-auth/no-such-provider", session, None),
        ("get fake, no token", "GET", "/api/v2/external-auth/fake", None, None),
        ("device start, code-flow provider", "GET", "/api/v2/external-auth/fake/device", session, None),
        ("device exchange, code-flow provider", "POST", "/api/v2/external-auth/fake/device", session, {"device_code": "x"}),
        ("device exchange, empty body", "POST", "/api/v2/external-auth/fake-device/device", session, None),
        ("device exchange, unknown code", "POST", "/api/v2/external-auth/fake-device/device", session, {"device_code": "conformance-unknown-code"}),
        ("agent fake", "GET", agent_path + "?id=fake", agent, None),
        ("agent fake-device", "GET", agent_path + "?id=fake-device", agent, None),
        ("agent match fake", "GET", agent_path + "?match=https://example.com/org/repo", agent, None),
        ("agent match fake-device", "GET", agent_path + "?match=https://device.example.com/x", agent, None),
        ("agent match nothing", "GET", agent_path + "?match=https://nothing.example.org/x", agent, None),
        ("agent legacy url", "GET", agent_path + "?url=https://example.com/x", agent, None),
        ("agent no query", "GET", agent_path, agent, None),
        ("agent id and match", "GET", agent_path + "?id=fake&match=https://example.com", agent, None),
        ("agent unknown id", "GET", agent_path + "?id=no-such-provider", agent, None),
        ("agent listen on linked", "GET", agent_path + "?id=fake&listen=true", agent, None),
        ("agent no token", "GET", agent_path + "?id=fake", None, None),
        ("agent session token", "GET", agent_path + "?id=fake", session, None),
        ("agent unknown agent", "GET", agent_path + "?id=fake", "00000000-0000-4000-8000-00000000c0de", None),
        ("gitauth fake", "GET", "/api/v2/workspaceagents/me/gitauth?id=fake", agent, None),
        ("gitauth fake-device", "GET", "/api/v2/workspaceagents/me/gitauth?id=fake-device", agent, None),
        ("template version", "GET", f"/api/v2/templateversions/{version}/external-auth", session, None),
        ("template version, user_id me", "GET", f"/api/v2/templateversions/{version}/external-auth?user_id=me", session, None),
        ("template version, user_id malformed", "GET", f"/api/v2/templateversions/{version}/external-auth?user_id=abc", session, None),
        ("template version, user_id another user", "GET", f"/api/v2/templateversions/{version}/external-auth?user_id=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", session, None),
        ("template version, not a uuid", "GET", "/api/v2/templateversions/not-a-uuid/external-auth", session, None),
        ("template version, unknown", "GET", "/api/v2/templateversions/00000000-0000-4000-8000-0000c0de0000/external-auth", session, None),
        ("template version, no token", "GET", f"/api/v2/templateversions/{version}/external-auth", None, None),
        ("template version, other sub-path", "GET", f"/api/v2/templateversions/{version}/external-auth/x", session, None),
        ("list, wrong method", "PUT", "/api/v2/external-auth", session, None),
        ("unknown api route", "GET", "/api/v2/external-auth-nope", session, None),
    ]
    return steps


def device_flow(target):
    """Start, exchange before approval, then after it (the IdP approves after the first poll;
    the imitation on the second), then the provider and the list."""
    out = []
    start = target.send("GET", "/api/v2/external-auth/fake-device/device", target.session)
    out.append(("device flow: start", start))
    code = (start.get("json") or {}).get("device_code", "")
    pending = target.send("POST", "/api/v2/external-auth/fake-device/device", target.session, {"device_code": code})
    out.append(("device flow: first poll", pending))
    approved = None
    for _ in range(10):
        approved = target.send("POST", "/api/v2/external-auth/fake-device/device", target.session, {"device_code": code})
        if approved["status"] != 400:
            break
        time.sleep(0.5)
    out.append(("device flow: approved", approved))
    out.append(("device flow: provider after", target.send("GET", "/api/v2/external-auth/fake-device", target.session)))
    out.append(("device flow: agent after", target.send("GET", "/api/v2/workspaceagents/me/external-auth?id=fake-device", target.agent)))
    return out


def deletes(target):
    out = [
        ("delete fake", target.send("DELETE", "/api/v2/external-auth/fake", target.session)),
        ("delete fake again", target.send("DELETE", "/api/v2/external-auth/fake", target.session)),
        ("get fake after delete", target.send("GET", "/api/v2/external-auth/fake", target.session)),
        ("agent fake after delete", target.send("GET", "/api/v2/workspaceagents/me/external-auth?id=fake", target.agent)),
        ("template version after delete", target.send("GET", f"/api/v2/templateversions/{target.template_version}/external-auth", target.session)),
        ("list after delete", target.send("GET", "/api/v2/external-auth", target.session)),
    ]
    return out


def run(target):
    answers = [(name, target.send(method, path, token, body)) for name, method, path, token, body in sequence(target)]
    answers += device_flow(target)
    answers += deletes(target)
    return answers


def compared_fields(answer):
    return {key: answer[key] for key in ("status", "media_type", "www_authenticate", "allow", "body")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", required=True, help="realcoder/up's output lines")
    parser.add_argument("--imitation", required=True, help="conformance serve's output lines")
    parser.add_argument("--release", required=True)
    parser.add_argument("--json", help="write the comparison here")
    parser.add_argument("--evidence", help="write the real server's answers (normalised) here")
    args = parser.parse_args()
    try:
        real = Target(read_env(args.real), "real")
        imitation = Target(read_env(args.imitation), "imitation")
    except (OSError, KeyError) as err:
        print(f"fidelity: cannot read the targets: {err}", file=sys.stderr)
        return 2

    real_answers = run(real)
    imitation_answers = run(imitation)
    rows = []
    for (name, got_real), (_, got_imitation) in zip(real_answers, imitation_answers):
        a, b = compared_fields(got_real), compared_fields(got_imitation)
        differing = sorted(key for key in a if a[key] != b[key])
        if not differing:
            verdict = "identical"
        elif all((name, key) in LIMITATIONS for key in differing):
            verdict = "limitation"
        else:
            verdict = "different"
        rows.append({"request": name, "verdict": verdict, "differs_in": differing, "real": a, "imitation": b})

    identical = sum(row["verdict"] == "identical" for row in rows)
    limited = sum(row["verdict"] == "limitation" for row in rows)
    for row in rows:
        if row["verdict"] == "identical":
            print(f"  identical   {row['request']}")
            continue
        print(f"  {row['verdict']:<11} {row['request']}: {', '.join(row['differs_in'])}")
        for key in row["differs_in"]:
            print(f"      real:      {json.dumps(row['real'][key], sort_keys=True)}")
            print(f"      imitation: {json.dumps(row['imitation'][key], sort_keys=True)}")
            reason = LIMITATIONS.get((row["request"], key))
            if reason:
                print(f"      why:       {reason}")
    print(f"fidelity {args.release}: {identical} identical / {len(rows)} compared ({limited} listed limitations)")
    if args.evidence:
        # What the real server sent, normalised as compared (no secret, id or time in it):
        # the evidence openapi/README.md cites.
        with open(args.evidence, "w", encoding="utf-8") as handle:
            json.dump({"release": args.release, "source": "realcoder/lane (fidelity.py), the real server's answers, normalised",
                       "answers": [{"request": row["request"], **row["real"]} for row in rows]},
                      handle, indent=2, sort_keys=True)
            handle.write("\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"release": args.release, "identical": identical, "limitations": limited,
                       "compared": len(rows), "rows": rows}, handle, indent=2)
    return 0 if identical + limited == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
