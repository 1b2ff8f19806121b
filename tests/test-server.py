#!/usr/bin/env python3
# test-server.py: partner-desk-server on loopback: sign-in, API v1 status codes, permissions,
# partner scoping, idempotency, audit, batches of writes, HTTPS, session expiry, rate limits, a
# lost answer.
#
# Usage: test-server.py PARTNER_DESK_SERVER PARTNER_DESK_SERVER_FAULTY
# Accounts get their passwords only through the real invitation links (`init` prints the
# owner's; the others come from the mail outbox the server writes).

import http.client
import json
import os
import re
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

SERVER, FAULTY = sys.argv[1], sys.argv[2]
PASSWORD = "correct horse battery"
failures = []
checks = [0]


def check(condition, what):
    checks[0] += 1
    if not condition:
        failures.append(what)
        print("FAIL:", what, flush=True)


def expect(response, status, what, code=None):
    ok = response.status == status and (code is None or response.json.get("error") == code)
    check(ok, "%s: expected %d %s, got %d %s" % (what, status, code or "", response.status,
                                                 response.text[:300]))
    return response


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if self.text else {}
        except ValueError:
            self.json = {}


class Server:
    """One partner-desk-server process on 127.0.0.1, port 0, reported through --port-file."""

    def __init__(self, binary, db, tmp, name, args=(), env=None):
        self.tmp, self.name = tmp, name
        self.port_file = os.path.join(tmp, name + ".port")
        self.log_path = os.path.join(tmp, name + ".log")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary, "--database", db, "--listen", "127.0.0.1:0",
                                      "--port-file", self.port_file] + list(args),
                                     stdout=self.log, stderr=self.log,
                                     env=dict(os.environ, **(env or {})))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if os.path.exists(self.port_file):
                text = open(self.port_file).read().strip()
                if text:
                    self.port = int(text)
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("%s did not start: %s" % (name, open(self.log_path).read()))

    def stop(self):
        self.proc.terminate()
        check(self.proc.wait(10) == 0, "%s exits cleanly on SIGTERM" % self.name)
        self.log.close()

    def connection(self, context=None):
        if context:
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=context,
                                               timeout=30)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, token=None, headers=None,
                content_type="application/json", context=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if body is not None and content_type:
            h["Content-Type"] = content_type
        conn = self.connection(context)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def put(self, token, collection, record_id, record, version=None, key=None, headers=None):
        h = {"Idempotency-Key": key or str(uuid.uuid4())}
        if version is None:
            h["If-None-Match"] = "*"
        else:
            h["If-Match"] = '"%d"' % version
        h.update(headers or {})
        return self.request("PUT", "/api/v1/%s/%s" % (collection, record_id), record, token, h)

    def get(self, token, path):
        return self.request("GET", path, token=token)

    def batch(self, token, writes):
        return self.request("POST", "/api/v1/batch", {"writes": writes}, token)

    def sign_in(self, email, password=PASSWORD):
        return self.request("POST", "/api/v1/session", {"email": email, "password": password})

    def token(self, email):
        r = expect(self.sign_in(email), 201, "sign in " + email)
        return r.json.get("token")

    def accept_invitation(self, link, name):
        path = urllib.parse.urlsplit(link).path
        page = self.request("GET", path)
        check(page.status == 200 and "password" in page.text, "invitation page opens: " + path)
        form = urllib.parse.urlencode({"name": name, "password": PASSWORD,
                                       "password_repeat": PASSWORD})
        r = self.request("POST", path, form, content_type="application/x-www-form-urlencoded")
        check(r.status == 200, "invitation accepted (%d %s)" % (r.status, r.text[:200]))


def new_id():
    return str(uuid.uuid4())


def put_item(collection, record_id, record, version=None, key=None):
    """A batch item standing for PUT /api/v1/COLLECTION/ID."""
    return {"key": key or new_id(), "method": "PUT", "collection": collection, "id": record_id,
            "if_match": version, "if_none_match": None if version is not None else "*",
            "record": record}


def delete_item(collection, record_id, version, key=None):
    return {"key": key or new_id(), "method": "DELETE", "collection": collection,
            "id": record_id, "if_match": version}


def mailed_link(db, email):
    """The newest invitation link the server queued for EMAIL."""
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT body FROM mail_outbox WHERE recipient LIKE ? ORDER BY id DESC",
                         ("%" + email + "%",)).fetchall()
    for (body,) in rows:
        m = re.search(r"https?://\S+/invite/[A-Za-z0-9_-]+", body)
        if m:
            return m.group(0)
    raise AssertionError("no invitation mailed to " + email)


def count(db, sql, *params):
    with sqlite3.connect(db) as c:
        return c.execute(sql, params).fetchone()[0]


def raw_request(port, text):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(text.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1])


def test_init(tmp, db):
    r = subprocess.run([SERVER, "init", "--database", db, "--owner-email", "owner@example.org",
                        "--practice-name", "Riverside Practice"], capture_output=True, text=True)
    check(r.returncode == 0, "init succeeds: " + r.stderr)
    link = re.search(r"https?://\S+/invite/\S+", r.stdout)
    check(link is not None, "init prints the set-password link")
    again = subprocess.run([SERVER, "init", "--database", db, "--owner-email", "x@example.org"],
                           capture_output=True, text=True)
    check(again.returncode == 1 and "owner" in again.stderr, "a second init fails clearly")
    usage = subprocess.run([SERVER, "init", "--database", db], capture_output=True, text=True)
    check(usage.returncode == 2, "init without --owner-email is a usage error")
    usage = subprocess.run([SERVER], capture_output=True, text=True)
    check(usage.returncode == 2 and "--database" in usage.stderr, "serving needs --database")
    return link.group(0)


def test_sessions(s, db):
    bad = expect(s.sign_in("owner@example.org", "wrong password"), 401, "wrong password",
                 "invalid_credentials")
    unknown = expect(s.sign_in("nobody@example.org", "wrong password"), 401, "unknown email",
                     "invalid_credentials")
    check(bad.json.get("message") == unknown.json.get("message"),
          "one message whether the email exists or not")
    expect(s.request("POST", "/api/v1/session", {"email": "owner@example.org"}), 422,
           "sign-in without password", "invalid")
    r = expect(s.sign_in("OWNER@example.org"), 201, "owner signs in (email case ignored)")
    user = r.json.get("user", {})
    check(user.get("kind") == "practice" and user.get("partner_id") is None
          and set(user.get("permissions", "").split(",")) ==
          {"edit_partners", "view_patient_data", "billing", "receive_referrals",
           "view_referrals", "manage_team"}, "the owner holds every permission: %r" % user)
    check(user.get("name") == "Olivia Owner", "the name chosen on the invitation page")
    token = r.json["token"]
    check(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) is not None, "token: 256 bits, base64url")
    check(r.json.get("expires_in") == 14 * 24 * 3600, "default idle timeout: 14 days")
    check(count(db, "SELECT count(*) FROM sessions WHERE token_hash = ?", token) == 0,
          "the token itself is never stored")
    check(count(db, "SELECT count(*) FROM credentials WHERE password_hash LIKE '$argon2id$%'")
          >= 1, "passwords are Argon2id hashes")
    # Signing out ends the token.
    other = s.token("owner@example.org")
    expect(s.get(other, "/api/v1/changes"), 200, "fresh token works")
    expect(s.request("DELETE", "/api/v1/session", token=other), 204, "sign out")
    expect(s.get(other, "/api/v1/changes"), 401, "token after sign-out", "unauthorized")
    expect(s.get(None, "/api/v1/changes"), 401, "no token", "unauthorized")
    expect(s.get("not-a-token", "/api/v1/changes"), 401, "unknown token", "unauthorized")
    expect(s.request("GET", "/api/v1/session"), 405, "GET /api/v1/session")
    return token


def invite_team(s, db, owner):
    """Team users with one permission each, invited by the owner through the real links."""
    team = {
        "editor": "edit_partners",
        "biller": "billing",
        "clinician": "view_patient_data",
        "viewer": "view_referrals",
    }
    ids, tokens = {}, {}
    for who, permissions in team.items():
        ids[who] = new_id()
        expect(s.put(owner, "practice_user", ids[who],
                     {"name": who.title(), "email": who + "@example.org",
                      "permissions": permissions}), 201, "owner adds " + who)
    for who in team:
        s.accept_invitation(mailed_link(db, who + "@example.org"), who.title() + " Smith")
        tokens[who] = s.token(who + "@example.org")
    return ids, tokens


def test_status_codes(s, db, owner):
    iid = new_id()
    r = expect(s.put(owner, "institution", iid, {"name": "Northgate Diagnostics"}), 201,
               "create")
    check(r.headers.get("etag") == '"1"' and r.json.get("version") == 1, "ETag and version 1")
    expect(s.get(owner, "/api/v1/institution/" + iid), 200, "get")
    r = expect(s.put(owner, "institution", iid, {"name": "Northgate", "version": 7,
                                                "updated_by": "x"}, version=1), 200, "update")
    check(r.json.get("version") == 2 and r.json.get("name") == "Northgate", "updated record")
    stale = expect(s.put(owner, "institution", iid, {"name": "Stale"}, version=1), 412,
                   "stale If-Match", "version_mismatch")
    check(stale.json.get("record", {}).get("name") == "Northgate",
          "412 carries the current record")
    expect(s.put(owner, "institution", iid, {"name": "Again"}), 412, "create of existing id",
           "version_mismatch")
    expect(s.request("PUT", "/api/v1/institution/" + iid, {"name": "x"}, owner,
                     {"Idempotency-Key": new_id()}), 428, "no If-Match",
           "precondition_required")
    expect(s.request("PUT", "/api/v1/institution/" + iid, {"name": "x"}, owner,
                     {"If-Match": "2"}), 428, "no Idempotency-Key")
    expect(s.request("PUT", "/api/v1/institution/" + new_id(), "{not json", owner,
                     {"If-None-Match": "*", "Idempotency-Key": new_id()}), 400,
           "malformed JSON", "malformed_json")
    expect(s.request("PUT", "/api/v1/institution/" + new_id(),
                     '{"name": "x", "address": %s}' % ("[" * 100000 + "]" * 100000), owner,
                     {"If-None-Match": "*", "Idempotency-Key": new_id()}), 400,
           "JSON nested too deeply", "malformed_json")
    expect(s.request("PUT", "/api/v1/institution/" + new_id(), '{"name": "x"}', owner,
                     {"If-None-Match": "*", "Idempotency-Key": new_id()},
                     content_type="text/plain"), 415, "text/plain body",
           "unsupported_media_type")
    r = expect(s.put(owner, "partner", new_id(), {"name": "", "kind": "employer",
                                                  "billing_email": "not an email"}),
               422, "invalid record", "invalid")
    check("name" in r.json.get("fields", {}) and "billing_email" in r.json.get("fields", {}),
          "422 names each invalid field: %r" % r.json.get("fields"))
    r = expect(s.put(owner, "institution", new_id(), {"name": "x", "colour": "red"}), 422,
               "unknown field", "unknown_field")
    check("colour" in r.json.get("fields", {}), "the unknown field is named")
    r = expect(s.put(owner, "examination", new_id(), {"code": "X", "name": "X",
                                                      "duration_minutes": "30"}), 422,
               "wrong JSON type", "invalid_type")
    check("duration_minutes" in r.json.get("fields", {}), "the mistyped field is named")
    expect(s.put(owner, "institution", new_id(), {"id": "another", "name": "y"}), 422,
           "id differs from the address", "invalid")
    expect(s.get(owner, "/api/v1/institution/" + new_id()), 404, "unknown id", "not_found")
    expect(s.get(owner, "/api/v1/invoice/" + new_id()), 404, "unknown collection")
    expect(s.get(owner, "/no/such/path"), 404, "unknown path", "not_found")
    expect(s.request("POST", "/api/v1/institution/" + iid, {}, owner), 405, "POST on a record")
    expect(s.request("PUT", "/api/v1/changes", {}, owner), 405, "PUT on changes")
    # 413: announced by Content-Length (refused before the body is sent), a plain body over
    # the limit, and chunks passing it.
    status = raw_request(s.port, "PUT /api/v1/institution/%s HTTP/1.1\r\nHost: x\r\n"
                         "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                         "Expect: 100-continue\r\nContent-Length: 50000000\r\n\r\n"
                         % (new_id(), owner))
    check(status == 413, "Content-Length over 1 MiB: 413 before the body (%d)" % status)
    expect(s.put(owner, "institution", new_id(), {"name": "x", "address": "y" * (1 << 20)}),
           413, "a body over 1 MiB", "too_large")
    big = json.dumps({"name": "x", "address": "y" * (1100 * 1024)})
    conn = s.connection()
    conn.request("PUT", "/api/v1/institution/" + new_id(), body=iter([big.encode()]),
                 headers={"Authorization": "Bearer " + owner, "If-None-Match": "*",
                          "Idempotency-Key": new_id(), "Content-Type": "application/json"},
                 encode_chunked=True)
    r = conn.getresponse()
    check(r.status == 413 and json.loads(r.read()).get("error") == "too_large",
          "chunked body over 1 MiB: 413")
    conn.close()
    # DELETE tombstones and answers the record.
    expect(s.request("DELETE", "/api/v1/institution/" + iid, token=owner,
                     headers={"Idempotency-Key": new_id()}), 428, "DELETE without If-Match")
    r = expect(s.request("DELETE", "/api/v1/institution/" + iid, token=owner,
                         headers={"Idempotency-Key": new_id(), "If-Match": "2"}), 200, "DELETE")
    check(r.json.get("deleted") is True and r.json.get("version") == 3, "tombstone, version 3")
    feed = s.get(owner, "/api/v1/changes?since=0&limit=10000").json
    last = [c for c in feed["changes"] if c["id"] == iid][-1]
    check(last["deleted"] and last["version"] == 3 and last["collection"] == "institution",
          "the feed carries the tombstone")
    expect(s.get(owner, "/api/v1/changes?since=abc"), 400, "bad since")
    # Created and deleted offline: pushed as a create with "deleted": true.
    r = expect(s.put(owner, "institution", new_id(), {"name": "Gone", "deleted": True}), 201,
               "create of a deleted record")
    check(r.json.get("deleted") is True, "created as a tombstone")


def test_changes_paging(s, owner):
    everything = s.get(owner, "/api/v1/changes?limit=10000").json
    seqs = [c["seq"] for c in everything["changes"]]
    check(seqs == sorted(seqs) and not everything["more"], "changes in order, one page")
    page = s.get(owner, "/api/v1/changes?since=0&limit=2").json
    check(len(page["changes"]) == 2 and page["more"] and page["next"] == seqs[1],
          "limit=2: two changes, more, next = last seq")
    rest = s.get(owner, "/api/v1/changes?since=%d&limit=100000" % page["next"]).json
    check([c["seq"] for c in rest["changes"]] == seqs[2:], "the next page continues")
    check(all(set(c) == {"seq", "collection", "id", "version", "deleted", "record"}
              for c in everything["changes"]), "each change: seq collection id version "
          "deleted record")
    check(all(c["record"]["id"] == c["id"] and c["record"]["version"] == c["version"]
              for c in everything["changes"]), "each record matches its change")


def test_idempotency(s, db, owner, other):
    pid = new_id()
    key = new_id()
    body = {"name": "Acme Logistics", "kind": "employer"}
    first = expect(s.put(owner, "partner", pid, body, key=key), 201, "first write")
    changes = count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", pid)
    audits = count(db, "SELECT count(*) FROM audit WHERE record_id = ?", pid)
    replay = expect(s.put(owner, "partner", pid, body, key=key), 201, "replay")
    check(replay.text == first.text, "the replay returns the stored answer")
    check(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", pid) == changes == 1
          and count(db, "SELECT count(*) FROM audit WHERE record_id = ?", pid) == audits,
          "a replay applies nothing (change log, audit)")
    expect(s.put(owner, "partner", pid, dict(body, name="Other"), key=key), 422,
           "same key, other body", "idempotency_key_reused")
    expect(s.put(other, "partner", pid, body, key=key), 422, "same key, other user",
           "idempotency_key_reused")
    with sqlite3.connect(db) as c:
        who, address = c.execute("SELECT who, address FROM audit WHERE record_id = ? "
                                 "AND action = 'create'", (pid,)).fetchone()
    check(who == "Olivia Owner" and address == "127.0.0.1",
          "audit rows carry user and address: %r %r" % (who, address))
    return pid


def test_batch(s, db, owner, t):
    """POST /api/v1/batch: each write answered as its single request, in order."""
    stale_id = new_id()
    expect(s.put(owner, "institution", stale_id, {"name": "Stale Clinic"}), 201, "batch: setup")
    expect(s.put(owner, "institution", stale_id, {"name": "Moved On Clinic"}, version=1), 200,
           "batch: setup update")
    a, b, partner = new_id(), new_id(), new_id()
    k_a, k_b = new_id(), new_id()
    writes = [
        put_item("institution", a, {"name": "Batch Clinic A"}, key=k_a),
        put_item("institution", b, {"name": "Batch Clinic B"}, key=k_b),
        put_item("institution", b, {"name": "Batch Clinic B2", "address": "1 Batch Road"},
                 version=1),
        put_item("institution", stale_id, {"name": "Too Late"}, version=1),
        put_item("partner", new_id(), {"name": "", "kind": "employer",
                                       "billing_email": "not an email"}),
        put_item("partner", partner, {"name": "Batch Partner", "kind": "clinic",
                                      "rep_name": "Bea Rep", "rep_email": "bea@batch.example",
                                      "status": "draft"}),
        delete_item("institution", a, 1),
        put_item("invoice", new_id(), {"name": "x"}),
        dict(put_item("institution", new_id(), {"name": "No Key"}), key=None),
        put_item("institution", a, {"name": "Batch Clinic A"}, key=k_a),
        put_item("institution", b, {"name": "Another Body"}, key=k_b),
        put_item("institution", new_id(), {"name": "x", "colour": "red"}),
        dict(put_item("institution", new_id(), {"name": "x"}), if_match="seven",
             if_none_match=None),
        {"key": new_id(), "method": "PATCH", "collection": "institution", "id": new_id()},
    ]
    r = expect(s.batch(owner, writes), 200, "a batch")
    results = r.json.get("results", [])
    check(len(results) == len(writes) and all(set(x) == {"key", "status", "record", "error",
                                                          "message", "fields"}
                                              for x in results),
          "one result per write, each key status record error message fields: %r" % results)
    results += [{}] * (len(writes) - len(results))
    statuses = [x.get("status") for x in results]
    check(statuses == [201, 201, 200, 412, 422, 201, 200, 404, 428, 201, 422, 422, 400, 400],
          "batch statuses in order: %r" % statuses)
    check([x.get("key") for x in results[:8]] == [w["key"] for w in writes[:8]],
          "each result names its key")
    check(results[0]["record"]["name"] == "Batch Clinic A" and results[0]["record"]["version"] == 1
          and results[0]["error"] is None and results[0]["fields"] is None,
          "a create answers the record: %r" % results[0])
    check(results[2]["record"]["version"] == 2
          and results[2]["record"]["address"] == "1 Batch Road",
          "a later write of the same batch sees the earlier one")
    stale = results[3]
    check(stale["error"] == "version_mismatch" and stale["record"]["name"] == "Moved On Clinic"
          and stale["record"]["version"] == 2, "412 carries the current record: %r" % stale)
    check(results[4]["error"] == "invalid"
          and {"name", "billing_email"} <= set(results[4]["fields"] or {}),
          "422 names each invalid field: %r" % results[4])
    check(results[6]["record"]["deleted"] is True, "a DELETE in a batch tombstones")
    check(results[7]["error"] == "not_found", "an unknown collection: 404")
    check(results[8]["error"] == "idempotency_key_required", "a write without its key: 428")
    check(results[9]["record"] == results[0]["record"], "a replayed key: the stored answer")
    check(results[10]["error"] == "idempotency_key_reused", "a key with another body: 422")
    check(results[11]["error"] == "unknown_field" and "colour" in results[11]["fields"],
          "an unknown field: 422")
    check(results[12]["error"] == "invalid_precondition", "a bad if_match: 400")
    check(results[13]["error"] == "invalid_write", "an unknown method: 400")
    check(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", a) == 2
          and count(db, "SELECT version FROM institutions WHERE id = ?", a) == 2,
          "a replayed key is applied once (change log)")
    check(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", stale_id) == 2
          and count(db, "SELECT name FROM institutions WHERE id = ?", stale_id)
          == "Moved On Clinic", "the stale write changed nothing")
    check(count(db, "SELECT count(*) FROM partners WHERE name = ''") == 0,
          "the invalid write was rolled back, the others kept")
    with sqlite3.connect(db) as c:
        who, address = c.execute("SELECT who, address FROM audit WHERE record_id = ? "
                                 "AND action = 'create'", (b,)).fetchone()
    check(who == "Olivia Owner" and address == "127.0.0.1",
          "batch audit rows carry user and address: %r %r" % (who, address))
    check(count(db, "SELECT count(*) FROM mail_outbox WHERE recipient LIKE ?",
                "%bea@batch.example%") == 1, "a partner created in a batch is invited")
    # The whole batch again (its answer lost, say): every write answered as before.
    changes = count(db, "SELECT count(*) FROM change_log")
    again = expect(s.batch(owner, writes[:7]), 200, "the same batch again").json["results"]
    check([x["status"] for x in again] == statuses[:7]
          and again[0]["record"] == results[0]["record"]
          and again[5]["record"] == results[5]["record"], "replayed: the stored answers")
    check(count(db, "SELECT count(*) FROM change_log") == changes,
          "a replayed batch applies nothing")
    # A key first sent alone replays in a batch.
    single_id, single_key = new_id(), new_id()
    body = '{"name":"Single Then Batch"}'
    first = expect(s.request("PUT", "/api/v1/institution/" + single_id, body, owner,
                             {"If-None-Match": "*", "Idempotency-Key": single_key}), 201,
                   "single write")
    r = expect(s.batch(owner, [put_item("institution", single_id, {"name": "Single Then Batch"},
                                        key=single_key)]), 200, "its key in a batch")
    check(r.json["results"][0]["status"] == 201 and r.json["results"][0]["record"] == first.json,
          "a key sent alone first replays in a batch: %r" % r.json["results"][0])
    check(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", single_id) == 1,
          "applied once")
    # Permissions, per write.
    person = new_id()
    r = expect(s.batch(t["clinician"], [
        put_item("person", person, {"partner_id": partner, "member_id": "B-1",
                                    "first_name": "Bo", "last_name": "Batch",
                                    "date_of_birth": "1990-01-02",
                                    "relationship": "employee"}),
        put_item("institution", new_id(), {"name": "Not Mine"})]), 200, "a mixed batch")
    res = r.json["results"]
    check(res[0]["status"] == 201 and res[1]["status"] == 403
          and res[1]["error"] == "forbidden"
          and res[1]["fields"] == {"permission": "edit_partners"},
          "a forbidden write: 403 naming the permission, the allowed one applied: %r" % res)
    # Whole-batch refusals.
    expect(s.request("POST", "/api/v1/batch", {"writes": []}), 401, "batch without token",
           "unauthorized")
    expect(s.request("POST", "/api/v1/batch", {"writes": "x"}, owner), 400,
           "writes not a list", "invalid_batch")
    expect(s.request("POST", "/api/v1/batch", {"writes": [], "extra": 1}, owner), 400,
           "unknown batch member", "invalid_batch")
    expect(s.request("POST", "/api/v1/batch", "{not json", owner), 400, "malformed batch",
           "malformed_json")
    expect(s.batch(owner, [put_item("institution", new_id(), {"name": "x"})] * 1001), 413,
           "more than 1000 writes", "too_many_writes")
    expect(s.request("GET", "/api/v1/batch", token=owner), 405, "GET /api/v1/batch")
    r = expect(s.batch(owner, []), 200, "an empty batch")
    check(r.json == {"results": []}, "an empty batch: no results")
    return partner


def test_permissions(s, db, owner, ids, t):
    # edit_partners
    inst = new_id()
    expect(s.put(t["editor"], "institution", inst, {"name": "Riverside Medical Centre"}), 201,
           "edit_partners: institution allowed")
    r = expect(s.put(t["viewer"], "institution", new_id(), {"name": "Nope"}), 403,
               "without edit_partners: refused", "forbidden")
    check(r.json.get("fields", {}).get("permission") == "edit_partners",
          "403 names the permission")
    with sqlite3.connect(db) as c:
        who = c.execute("SELECT who FROM audit WHERE record_id = ?", (inst,)).fetchone()[0]
    check(who == "Editor Smith", "audit names the editor")
    exam = new_id()
    expect(s.put(t["editor"], "examination", exam, {"code": "ECG", "name": "Resting ECG",
                                                    "duration_minutes": 30}), 201,
           "edit_partners: examination")
    expect(s.put(t["editor"], "examination_price", new_id(),
                 {"examination_id": exam, "institution_id": inst, "price": 12000}), 201,
           "edit_partners: price")
    partner_a, partner_b = new_id(), new_id()
    expect(s.put(t["editor"], "partner", partner_a,
                 {"name": "Acme Health", "kind": "employer", "status": "draft",
                  "rep_name": "Ada Rep",
                  "rep_email": "ada@acme.example", "institutions": [inst],
                  "patient_data_visible": True}), 201, "edit_partners: partner A")
    expect(s.put(t["editor"], "partner", partner_b,
                 {"name": "Beta Works", "kind": "employer", "institutions": [inst]}), 201,
           "edit_partners: partner B")
    expect(s.put(t["biller"], "partner", new_id(), {"name": "No", "kind": "employer"}), 403,
           "billing cannot edit partners", "forbidden")
    # billing
    rate_b = new_id()
    expect(s.put(t["biller"], "commission_rate", rate_b,
                 {"partner_id": partner_b, "effective_from": "2026-01-01",
                  "mode": "percentage", "percent": 1250}), 201, "billing: commission rate")
    r = expect(s.put(t["editor"], "commission_rate", new_id(),
                     {"partner_id": partner_b, "effective_from": "2026-02-01",
                      "mode": "percentage", "percent": 1000}), 403, "without billing: refused",
               "forbidden")
    check(r.json.get("fields", {}).get("permission") == "billing", "403 names billing")
    # view_patient_data
    person_a, person_b = new_id(), new_id()
    for pid, partner in ((person_a, partner_a), (person_b, partner_b)):
        expect(s.put(t["clinician"], "person", pid,
                     {"partner_id": partner, "member_id": "M-" + pid[:4], "first_name": "Pat",
                      "last_name": "Doe", "date_of_birth": "1980-04-23",
                      "relationship": "employee"}), 201, "view_patient_data: person")
    expect(s.get(t["clinician"], "/api/v1/person/" + person_a), 200, "patient data: read")
    expect(s.get(t["editor"], "/api/v1/person/" + person_a), 403, "no patient data: read",
           "forbidden")
    expect(s.put(t["editor"], "person", new_id(), {"partner_id": partner_a}), 403,
           "no patient data: write", "forbidden")
    feed = s.get(t["viewer"], "/api/v1/changes?limit=10000").json["changes"]
    check(not [c for c in feed if c["collection"] in ("person", "upload", "booking")],
          "the feed hides patient data without the permission")
    check([c for c in s.get(t["clinician"], "/api/v1/changes?limit=10000").json["changes"]
           if c["id"] == person_a], "the feed shows people with view_patient_data")
    # manage_team
    expect(s.put(t["editor"], "practice_user", new_id(), {"name": "Eve"}), 403,
           "without manage_team: add a user", "forbidden")
    r = s.get(t["editor"], "/api/v1/practice_user/" + ids["editor"])
    me = {k: v for k, v in r.json.items() if k in ("name", "email", "permissions")}
    expect(s.put(t["editor"], "practice_user", ids["editor"], dict(me, name="Ed Smith"),
                 version=r.json["version"]), 200, "without manage_team: own name")
    expect(s.put(t["editor"], "practice_user", ids["editor"],
                 dict(me, name="Ed Smith", permissions="edit_partners,manage_team"),
                 version=r.json["version"] + 1), 403, "without manage_team: own permissions",
           "forbidden")
    r = s.get(owner, "/api/v1/practice_user/" + ids["viewer"])
    expect(s.put(owner, "practice_user", ids["viewer"],
                 {"name": r.json["name"], "email": r.json["email"],
                  "permissions": "view_referrals,receive_referrals"}, version=r.json["version"]),
           200, "manage_team: change permissions")
    return partner_a, partner_b, inst, exam, person_a, person_b, rate_b


def test_partner_side(s, db, owner, t, partner_a, partner_b, inst, exam, person_a, person_b,
                      rate_b):
    s.accept_invitation(mailed_link(db, "ada@acme.example"), "Ada Rep")
    r = expect(s.sign_in("ada@acme.example"), 201, "partner user signs in")
    user = r.json.get("user", {})
    check(user.get("kind") == "partner" and user.get("partner_id") == partner_a
          and user.get("permissions") is None, "partner user: kind, partner_id: %r" % user)
    ada = r.json.get("token")
    # Bookings: activation by the editor, booking by the clinician; booking needs
    # view_patient_data or billing to read.
    expect(s.put(t["editor"], "activation", new_id(),
                 {"partner_id": partner_a, "institution_id": inst, "examination_id": exam,
                  "enabled": True}), 201, "activation")
    booking = new_id()
    expect(s.put(t["clinician"], "booking", booking,
                 {"partner_id": partner_a, "institution_id": inst, "examination_id": exam,
                  "booked_at": "2026-12-01T09:00:00Z", "person_id": person_a,
                  "patient_name": "Pat Doe"}), 201, "view_patient_data: booking")
    expect(s.get(t["biller"], "/api/v1/booking/" + booking), 200, "billing: read booking")
    expect(s.get(t["viewer"], "/api/v1/booking/" + booking), 403, "no billing: booking",
           "forbidden")
    # Scoping
    expect(s.get(ada, "/api/v1/partner/" + partner_a), 200, "own partner")
    expect(s.get(ada, "/api/v1/partner/" + partner_b), 404, "another partner", "not_found")
    expect(s.get(ada, "/api/v1/commission_rate/" + rate_b), 404, "another partner's rate")
    expect(s.get(ada, "/api/v1/person/" + person_a), 200, "own people (terms allow)")
    expect(s.get(ada, "/api/v1/person/" + person_b), 404, "another partner's people")
    expect(s.get(ada, "/api/v1/booking/" + booking), 200, "own booking")
    expect(s.get(ada, "/api/v1/institution/" + inst), 200, "the catalogue")
    expect(s.get(ada, "/api/v1/practice_user/" + new_id()), 404, "no practice users")
    feed = s.get(ada, "/api/v1/changes?limit=10000").json["changes"]
    seen = {c["id"] for c in feed}
    check({partner_a, person_a, booking, inst, exam} <= seen, "the partner's feed has its own")
    check(not seen & {partner_b, person_b, rate_b}, "the partner's feed hides other partners")
    check(not [c for c in feed if c["collection"] == "practice_user"],
          "the partner's feed hides the team")
    expect(s.put(ada, "institution", new_id(), {"name": "Mine"}), 403,
           "partner users cannot write here", "forbidden")
    expect(s.batch(ada, [put_item("institution", new_id(), {"name": "Mine"})]), 403,
           "a partner user's batch is refused", "forbidden")
    # A disabled portal user is signed out and cannot sign in.
    bob = new_id()
    expect(s.put(t["editor"], "partner_user", bob,
                 {"partner_id": partner_a, "name": "Bob", "email": "bob@acme.example",
                  "role": "partner_viewer", "status": "invited"}), 201, "portal user added")
    s.accept_invitation(mailed_link(db, "bob@acme.example"), "Bob Jones")
    bob_token = s.token("bob@acme.example")
    expect(s.get(bob_token, "/api/v1/partner/" + partner_a), 200, "portal user reads")
    r = s.get(t["editor"], "/api/v1/partner_user/" + bob).json
    body = {k: r[k] for k in ("partner_id", "name", "email", "role")}
    expect(s.put(t["editor"], "partner_user", bob, dict(body, status="disabled"),
                 version=r["version"]), 200, "portal user disabled")
    expect(s.get(bob_token, "/api/v1/partner/" + partner_a), 401, "disabled: session ends")
    expect(s.sign_in("bob@acme.example"), 403, "disabled: no sign-in", "account_disabled")
    # Terms without patient data hide the people.
    p = s.get(owner, "/api/v1/partner/" + partner_a).json
    body = {k: v for k, v in p.items() if k not in ("id", "version", "created_at",
                                                   "updated_at", "updated_by", "deleted")}
    body["patient_data_visible"] = False
    expect(s.put(owner, "partner", partner_a, body, version=p["version"]), 200, "terms change")
    expect(s.get(ada, "/api/v1/person/" + person_a), 404, "terms hide people")
    # A terminated partner's users are signed out.
    body["status"] = "terminated"
    expect(s.put(owner, "partner", partner_a, body, version=p["version"] + 1), 200, "terminate")
    expect(s.get(ada, "/api/v1/partner/" + partner_a), 401, "terminated partner: session ends")
    expect(s.sign_in("ada@acme.example"), 403, "terminated partner cannot sign in",
           "account_disabled")


def test_https(db, tmp, owner):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    h = Server(SERVER, db, tmp, "https", ["--tls-cert", cert, "--tls-key", key])
    try:
        trusted = ssl.create_default_context(cafile=cert)
        r = h.request("GET", "/api/v1/changes?limit=1", token=owner, context=trusted)
        check(r.status == 200 and "changes" in r.json, "HTTPS with the trusted test certificate")
        try:
            h.request("GET", "/api/v1/changes", token=owner, context=ssl.create_default_context())
            check(False, "an untrusted certificate must fail verification")
        except ssl.SSLCertVerificationError:
            pass
        try:
            h.request("GET", "/api/v1/changes")
            check(False, "plain HTTP to the HTTPS port must fail")
        except (http.client.HTTPException, ConnectionError, OSError):
            pass
    finally:
        h.stop()


def test_lost_answer(db, tmp, owner):
    f = Server(FAULTY, db, tmp, "faulty", env={"PD_SERVER_FAULTS": "lose-answer"})
    try:
        iid, key = new_id(), new_id()
        try:
            r = f.put(owner, "institution", iid, {"name": "Lost Answer Clinic"}, key=key)
            check(False, "the faulty build drops the first answer (got %d)" % r.status)
        except (http.client.HTTPException, ConnectionError):
            pass
        check(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", iid) == 1,
              "the write was committed before the answer was lost")
        r = expect(f.put(owner, "institution", iid, {"name": "Lost Answer Clinic"}, key=key),
                   201, "the retry gets the stored answer")
        check(r.json.get("name") == "Lost Answer Clinic" and r.headers.get("etag") == '"1"',
              "stored answer with ETag")
        check(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", iid) == 1,
              "applied once")
        # A batch's answer is lost (keyed on its first write), the retry replays every write.
        ids = [new_id(), new_id()]
        writes = [put_item("institution", i, {"name": "Lost Batch Clinic " + i}) for i in ids]
        try:
            r = f.batch(owner, writes)
            check(False, "the faulty build drops the batch's first answer (got %d)" % r.status)
        except (http.client.HTTPException, ConnectionError):
            pass
        check(all(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", i) == 1
                  for i in ids), "the batch was committed before its answer was lost")
        r = expect(f.batch(owner, writes), 200, "the batch retried")
        check([x["status"] for x in r.json["results"]] == [201, 201]
              and all(x["record"]["version"] == 1 for x in r.json["results"]),
              "the retried batch gets the stored answers")
        check(all(count(db, "SELECT count(*) FROM change_log WHERE record_id = ?", i) == 1
                  for i in ids), "each write of the batch applied once")
    finally:
        f.stop()
    # The installed binary has no fault switch.
    n = Server(SERVER, db, tmp, "nofault", env={"PD_SERVER_FAULTS": "lose-answer"})
    try:
        expect(n.put(owner, "institution", new_id(), {"name": "Answered Clinic"}), 201,
               "the installed server ignores PD_SERVER_FAULTS")
    finally:
        n.stop()


def test_expiry(db, tmp):
    e = Server(SERVER, db, tmp, "expiry", ["--session-idle-timeout", "2"])
    try:
        r = expect(e.sign_in("biller@example.org"), 201, "sign in (2 s timeout)")
        token = r.json.get("token")
        check(r.json.get("expires_in") == 2, "expires_in follows --session-idle-timeout")
        expect(e.get(token, "/api/v1/changes?limit=1"), 200, "token fresh")
        time.sleep(3.2)
        expect(e.get(token, "/api/v1/changes?limit=1"), 401, "token expired after inactivity",
               "unauthorized")
    finally:
        e.stop()


def test_rate_limits(s, db, tmp):
    for i in range(5):
        expect(s.sign_in("viewer@example.org", "wrong %d" % i), 401, "failure %d" % (i + 1))
    r = expect(s.sign_in("viewer@example.org"), 429, "6th attempt on the account",
               "rate_limited")
    retry = int(r.headers.get("retry-after", "0"))
    check(0 < retry <= 900, "Retry-After in seconds (%d)" % retry)
    check(count(db, "SELECT count(*) FROM login_failures") >= 5, "failures are persisted")
    # The address limit: 20 failures from 127.0.0.1 in 15 minutes, whatever the account.
    limited = False
    for i in range(20):
        r = s.sign_in("stranger%d@example.org" % i, "wrong")
        if r.status == 429:
            limited = True
            break
        expect(r, 401, "stranger %d" % i)
    check(limited and int(r.headers.get("retry-after", "0")) > 0,
          "the address is limited after 20 failures")
    expect(s.sign_in("clinician@example.org"), 429, "even a good password from the address")


def test_log(tmp, secrets):
    log = "".join(open(os.path.join(tmp, name)).read() for name in os.listdir(tmp)
                  if name.endswith(".log"))
    check("PUT /api/v1/partner/" in log and " 201 " in log, "one line per request")
    for secret in secrets:
        check(secret not in log, "the log holds no secrets or patient data")
    check("/invite/" not in log.replace("/invite/…", ""), "invitation tokens never logged")


def main():
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="test-server-") as tmp:
        db = os.path.join(tmp, "practice.db")
        owner_link = test_init(tmp, db)
        s = Server(SERVER, db, tmp, "main")
        try:
            s.accept_invitation(owner_link, "Olivia Owner")
            owner = test_sessions(s, db)
            ids, tokens = invite_team(s, db, owner)
            test_status_codes(s, db, owner)
            test_idempotency(s, db, owner, tokens["editor"])
            test_batch(s, db, owner, tokens)
            scope = test_permissions(s, db, owner, ids, tokens)
            test_partner_side(s, db, owner, tokens, *scope)
            test_changes_paging(s, owner)
            test_https(db, tmp, owner)
            test_lost_answer(db, tmp, owner)
            test_expiry(db, tmp)
            test_rate_limits(s, db, tmp)
        finally:
            s.stop()
        # Rate limits survive a restart.
        again = Server(SERVER, db, tmp, "restart")
        try:
            expect(again.sign_in("viewer@example.org"), 429, "limits persist across restarts")
        finally:
            again.stop()
        test_log(tmp, [owner, PASSWORD, "Pat Doe", "1980-04-23"] + list(tokens.values()))
    print("%d checks, %d failure(s) in %.1f s" % (checks[0], len(failures),
                                                   time.monotonic() - started))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
