#!/usr/bin/env python3
"""test-server-invite.py: invitations emailed through a local SMTP sink, the acceptance page,
and the partner side (bookables, bookings), against the real partner-desk-server binary.

Usage: test-server-invite.py PATH/TO/partner-desk-server
"""
import os
import sys

try:
    from aiosmtpd.controller import Controller
except ImportError:
    # Debian's python3-aiosmtpd lives in the system interpreter (not in a pyenv one).
    if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    print('SKIP: python3-aiosmtpd is not installed')
    sys.exit(77)

import email
import email.policy
import http.client
import json
import re
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

SERVER = sys.argv[1]
PRACTICE = 'Praxis Müller Riverside'  # non-ASCII: RFC 2047 subject, quoted-printable body
OWNER = 'owner@riverside.example'
OWNER_PASSWORD = 'owner-password-123'
FAILURES = []


def check(condition, what):
    if condition:
        print('ok -', what)
    else:
        print('FAIL -', what)
        FAILURES.append(what)
    return condition


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# The SMTP sink: a thread running aiosmtpd, collecting messages.

class Sink:
    def __init__(self, port):
        self.port = port
        self.messages = []
        self.cond = threading.Condition()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        with self.cond:
            self.messages.append(envelope)
            self.cond.notify_all()
        return '250 OK'

    def start(self):
        self.controller = Controller(self, hostname='127.0.0.1', port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None

    def wait_for(self, recipient, count=1, timeout=15):
        """The COUNT-th message to RECIPIENT, parsed, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [m for m in self.messages if recipient in m.rcpt_tos]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


def parse_mail(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def link_of(message):
    body = message.get_content()
    found = re.search(r'https?://\S+/invite/[A-Za-z0-9_-]+', body)
    return found.group(0) if found else None


# HTTP

class Http:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, headers=None, token=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        headers = dict(headers or {})
        if token:
            headers['Authorization'] = 'Bearer ' + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault('Content-Type', 'application/json')
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, dict(response.getheaders()), data

    def json(self, method, path, body=None, headers=None, token=None):
        status, headers, data = self.request(method, path, body, headers, token)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return status, headers, parsed

    def form(self, path, fields, headers=None):
        headers = dict(headers or {})
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
        return self.request('POST', path, urllib.parse.urlencode(fields).encode(), headers)

    def sign_in(self, address, password):
        status, _, body = self.json('POST', '/api/v1/session',
                                    {'email': address, 'password': password})
        check(status in (200, 201) and body and body.get('token'),
              'sign in as %s (%s)' % (address, status))
        return body['token'] if body else None

    def create(self, token, collection, fields):
        rid = str(uuid.uuid4())
        status, _, body = self.json('PUT', '/api/v1/%s/%s' % (collection, rid), fields,
                                    {'If-None-Match': '*', 'Idempotency-Key': str(uuid.uuid4())},
                                    token)
        check(status == 201, 'create %s (%s)' % (collection, status))
        if status != 201:
            print(body)
        return body

    def update(self, token, collection, record, changes):
        fields = {k: v for k, v in record.items()
                  if k not in ('id', 'version', 'created_at', 'updated_at', 'updated_by', 'deleted')}
        fields.update(changes)
        status, _, body = self.json('PUT', '/api/v1/%s/%s' % (collection, record['id']), fields,
                                    {'If-Match': '"%d"' % record['version'],
                                     'Idempotency-Key': str(uuid.uuid4())}, token)
        check(status == 200, 'update %s (%s)' % (collection, status))
        if status != 200:
            print(body)
        return body


def current(api, token, collection, rid):
    status, _, body = api.json('GET', '/api/v1/%s/%s' % (collection, rid), token=token)
    check(status == 200, 'read %s (%s)' % (collection, status))
    return body


def path_of(link):
    return urllib.parse.urlsplit(link).path


def text(data):
    return data.decode('utf-8', 'replace')


def accept(api, link, name, password='a-good-password-1'):
    status, _, page = api.form(path_of(link), {'name': name, 'password': password,
                                               'password_repeat': password})
    check(status == 200 and 'accepted' in text(page), 'accept %s (%s)' % (name, status))
    return password


def all_changes(api, token):
    changes, since = [], 0
    while True:
        status, _, body = api.json('GET', '/api/v1/changes?since=%d&limit=100' % since, token=token)
        if status != 200:
            check(False, 'changes feed (%s)' % status)
            return changes
        changes += body['changes']
        since = body['next']
        if not body.get('more'):
            return changes


def start_server(db, port, smtp_port, tmp):
    port_file = os.path.join(tmp, 'port')
    if os.path.exists(port_file):
        os.unlink(port_file)
    env = dict(os.environ, PD_SERVER_MAIL_RETRY_MS='200')
    log = open(os.path.join(tmp, 'server.log'), 'ab')
    proc = subprocess.Popen([SERVER, '--database', db, '--listen', '127.0.0.1:%d' % port,
                             '--port-file', port_file,
                             '--public-url', 'http://127.0.0.1:%d/' % port,
                             '--smtp-url', 'smtp://127.0.0.1:%d' % smtp_port,
                             '--mail-from', '%s <desk@riverside.example>' % PRACTICE],
                            stdout=log, stderr=log, env=env)
    deadline = time.monotonic() + 10
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError('the server did not start; see server.log')
        time.sleep(0.05)
    return proc


def db_one(db, sql, *params):
    with sqlite3.connect(db, timeout=10) as conn:
        row = conn.execute(sql, params).fetchone()
    return row


# The scenarios

def init_owner(api, db, tmp, port):
    out = subprocess.run([SERVER, 'init', '--database', db, '--owner-email', OWNER,
                          '--practice-name', PRACTICE,
                          '--public-url', 'http://127.0.0.1:%d' % port],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r'https?://\S+/invite/[A-Za-z0-9_-]+', out)
    check(found is not None, 'init prints the owner\'s set-password link')
    return found.group(0)


def set_owner_password(api, link):
    status, headers, page = api.request('GET', path_of(link))
    check(status == 200 and '<form' in text(page), 'the owner\'s link opens a form')
    check(headers.get('Cache-Control') == 'no-store', 'invitation pages are not cached')
    accept(api, link, 'Olivia Owner', OWNER_PASSWORD)


def catalogue(api, owner):
    inst = api.create(owner, 'institution', {'name': 'Riverside Medical Centre'})
    ecg = api.create(owner, 'examination', {'code': 'ECG', 'name': 'Electrocardiogram',
                                            'duration_minutes': 20})
    mri = api.create(owner, 'examination', {'code': 'MRI', 'name': 'MRI scan',
                                            'duration_minutes': 45})
    for exam, price in ((ecg, 12000), (mri, 45000)):
        api.create(owner, 'examination_price', {'examination_id': exam['id'],
                                                'institution_id': inst['id'], 'price': price})
    return inst, ecg, mri


def new_partner(api, owner, name, rep_email, inst):
    return api.create(owner, 'partner', {
        'kind': 'clinic', 'name': name, 'rep_name': 'Rita Rep', 'rep_email': rep_email,
        'institutions': [inst['id']], 'statistics_required': True,
        'commission_mode': 'percentage', 'commission_percent': 1250,
        'payment_location': 'partner', 'patient_data_visible': True, 'status': 'draft'})


def check_email(message, link):
    check(PRACTICE in message['Subject'], 'the subject names the practice')
    for header in ('Date', 'Message-ID', 'From', 'To', 'MIME-Version'):
        check(message[header] is not None, 'the email has ' + header)
    check(message.get_content_type() == 'text/plain'
          and message.get_content_charset() == 'utf-8', 'the email is text/plain; utf-8')
    body = message.get_content()
    check(link is not None and 'Northgate Clinic' in body and '7 days' in body,
          'the email names the partner, the link and the expiry')


def check_page(api, link, inst):
    status, headers, data = api.request('GET', path_of(link))
    page = text(data)
    check(status == 200, 'the invitation page opens')
    check(PRACTICE in page and 'Northgate Clinic' in page and inst['name'] in page,
          'the page shows the practice, the partner and its institution')
    check('12.5' in page and 'At the partner' in page, 'the page shows the terms')
    check('<html lang="' in page and '<label for="password">' in page,
          'the page is accessible (lang, labels)')
    check('no-referrer' in headers.get('Referrer-Policy', ''), 'the token is not sent on as referrer')


def refused_posts(api, db, link, partner):
    path = path_of(link)
    status, _, page = api.form(path, {'name': 'Rita Rep', 'password': 'short',
                                      'password_repeat': 'short'})
    check(status == 422 and 'at least 10' in text(page), 'a short password is refused')
    status, _, page = api.form(path, {'name': 'Rita Rep', 'password': 'a-good-password-1',
                                      'password_repeat': 'another-password'})
    check(status == 422 and 'do not match' in text(page), 'different passwords are refused')
    status, _, _ = api.form(path, {'name': 'Rita Rep', 'password': 'a-good-password-1',
                                   'password_repeat': 'a-good-password-1'},
                            {'Origin': 'http://evil.example'})
    check(status == 403, 'a post from another origin is refused')
    status, _, _ = api.request('POST', path, b'{}', {'Content-Type': 'application/json'})
    check(status == 415, 'a post that is not a form answers 415')
    row = db_one(db, 'SELECT status FROM partners WHERE id = ?', partner['id'])
    users = db_one(db, 'SELECT count(*) FROM partner_users WHERE partner_id = ?', partner['id'])
    check(row[0] == 'invited' and users[0] == 0, 'nothing changed after refused posts')


def accept_partner(api, db, owner, link, partner):
    password = accept(api, link, 'Rita Rep')
    row = db_one(db, 'SELECT status, accepted_at FROM partners WHERE id = ?', partner['id'])
    check(row[0] == 'active' and row[1], 'the partner is active, with accepted_at')
    user = db_one(db, 'SELECT role, status, email FROM partner_users WHERE partner_id = ?',
                  partner['id'])
    check(user == ('partner_admin', 'active', 'rita@northgate.example'),
          'the representative is the partner\'s first portal user')
    audit = db_one(db, "SELECT who, address FROM audit WHERE record_id = ? AND field = 'status' "
                       "ORDER BY rowid DESC LIMIT 1", partner['id'])
    check(audit == ('Rita Rep', '127.0.0.1'), 'the acceptance is audited as the representative')
    seen = [c for c in all_changes(api, owner)
            if c['collection'] == 'partner' and c['id'] == partner['id']]
    check(seen and seen[-1]['record']['status'] == 'active', 'the changes feed shows it active')
    status, _, page = api.request('GET', path_of(link))
    check(status == 410 and 'already accepted' in text(page), 'a used link answers 410')
    status, _, _ = api.form(path_of(link), {'name': 'X', 'password': 'a-good-password-1',
                                            'password_repeat': 'a-good-password-1'})
    check(status == 410, 'a used link cannot be accepted twice')
    return password


def expired_and_forged(api, db, sink, owner, inst):
    partner = new_partner(api, owner, 'Eastside Clinic', 'eve@eastside.example', inst)
    link = link_of(parse_mail(sink.wait_for('eve@eastside.example')))
    with sqlite3.connect(db, timeout=10) as conn:
        conn.execute("UPDATE invitations SET expires_at = '2000-01-01T00:00:00Z' "
                     "WHERE record_id = ?", (partner['id'],))
    status, _, page = api.request('GET', path_of(link))
    check(status == 410 and 'expired' in text(page), 'an expired link answers 410')
    status, _, _ = api.request('GET', '/invite/' + 'A' * 43)
    check(status == 404, 'a forged token answers 404')
    status, _, _ = api.request('GET', '/invite/<script>')
    check(status == 404, 'a malformed token answers 404')
    return partner


def resend(api, db, sink, owner, partner):
    api.update(owner, 'partner', current(api, owner, 'partner', partner['id']),
               {'invitation_requested_at': '2030-01-01T10:00:00Z'})
    message = sink.wait_for('eve@eastside.example', count=2)
    check(message is not None, 'Resend invitation sends a second email')
    resent = link_of(parse_mail(message))
    status, _, _ = api.request('GET', path_of(resent))
    check(status == 200, 'the resent link opens')
    api.update(owner, 'partner', current(api, owner, 'partner', partner['id']),
               {'rep_email': 'eve.new@eastside.example'})
    message = sink.wait_for('eve.new@eastside.example')
    check(message is not None, 'a corrected representative email gets the invitation')
    status, _, _ = api.request('GET', path_of(resent))
    check(status == 410, 'the link sent to the old address no longer works')


def partner_side(api, owner, rita, inst, ecg, mri):
    status, _, body = api.json('GET', '/api/v1/partner/bookables', token=rita)
    check(status == 200 and len(body['institutions']) == 1, 'bookables lists its institution')
    exams = {e['code']: e for e in body['institutions'][0]['examinations']}
    check(exams['ECG']['enabled'] and exams['ECG']['reason'] is None
          and exams['ECG']['price'] == 12000, 'the activated examination is enabled')
    check(not exams['MRI']['enabled'] and 'not activated' in exams['MRI']['reason'],
          'the other one is disabled with the reason')
    key = str(uuid.uuid4())
    booking = {'institution_id': inst['id'], 'examination_id': ecg['id'],
               'booked_at': '2030-03-04T09:30:00Z', 'patient_name': 'Pat Patient'}
    status, _, made = api.json('POST', '/api/v1/partner/bookings', booking,
                               {'Idempotency-Key': key}, rita)
    check(status == 201 and made['price'] == 12000 and made['commission'] == 1500,
          'booking an enabled examination answers 201 with price and commission')
    status, _, again = api.json('POST', '/api/v1/partner/bookings', booking,
                                {'Idempotency-Key': key}, rita)
    check(status == 201 and again == made, 'a replayed booking returns the stored answer')
    status, _, body = api.json('POST', '/api/v1/partner/bookings',
                               dict(booking, patient_name='Other'), {'Idempotency-Key': key}, rita)
    check(status == 422, 'the same key with another body answers 422')
    status, _, body = api.json('POST', '/api/v1/partner/bookings',
                               dict(booking, examination_id=mri['id']),
                               {'Idempotency-Key': str(uuid.uuid4())}, rita)
    check(status == 403 and body['error'] == 'not_bookable'
          and body['message'] == exams['MRI']['reason'], 'a disabled one answers 403 with the reason')
    status, _, body = api.json('POST', '/api/v1/partner/bookings', dict(booking, extra=1),
                               {'Idempotency-Key': str(uuid.uuid4())}, rita)
    check(status == 422 and 'extra' in body['fields'], 'an unknown field answers 422')
    bookings = [c for c in all_changes(api, owner) if c['collection'] == 'booking']
    check(len(bookings) == 1 and bookings[0]['id'] == made['id'],
          'the booking reaches the practice through the changes feed, once')
    status, _, body = api.json('GET', '/api/v1/partner/bookings', token=rita)
    check(status == 200 and [b['id'] for b in body['bookings']] == [made['id']],
          'the partner lists its bookings')
    status, _, _ = api.json('GET', '/api/v1/partner/bookables', token=owner)
    check(status == 403, 'a practice user gets 403 on the partner side')
    status, _, _ = api.json('GET', '/api/v1/partner/bookables')
    check(status == 401, 'the partner side needs a session')


def patient_data_hidden(api, db, owner, rita, partner):
    api.update(owner, 'partner', current(api, owner, 'partner', partner['id']),
               {'patient_data_visible': False})
    status, _, body = api.json('GET', '/api/v1/partner/bookings', token=rita)
    check(status == 200 and body['bookings'] and body['bookings'][0]['patient_name'] is None,
          'without patient data in its terms the partner sees no patient names')


def viewer_and_team(api, db, sink, owner, partner, inst, ecg):
    api.create(owner, 'partner_user', {'partner_id': partner['id'], 'name': 'Vic Viewer',
                                       'email': 'vic@northgate.example', 'role': 'partner_viewer',
                                       'status': 'invited'})
    message = sink.wait_for('vic@northgate.example')
    check(message is not None, 'a new portal user is invited by email')
    password = accept(api, link_of(parse_mail(message)), 'Vic Viewer')
    vic = api.sign_in('vic@northgate.example', password)
    status, _, _ = api.json('GET', '/api/v1/partner/bookings', token=vic)
    check(status == 200, 'a partner viewer may list bookings')
    status, _, _ = api.json('POST', '/api/v1/partner/bookings',
                            {'institution_id': inst['id'], 'examination_id': ecg['id'],
                             'booked_at': '2030-03-05T09:30:00Z', 'patient_name': 'P'},
                            {'Idempotency-Key': str(uuid.uuid4())}, vic)
    check(status == 403, 'a partner viewer may not book')
    api.create(owner, 'practice_user', {'name': 'Tom Team', 'email': 'tom@riverside.example',
                                        'permissions': 'edit_partners'})
    message = sink.wait_for('tom@riverside.example')
    check(message is not None, 'a new team member is invited by email')
    password = accept(api, link_of(parse_mail(message)), 'Tom Team')
    api.sign_in('tom@riverside.example', password)


def retry_when_sink_down(api, db, sink, owner, inst):
    sink.stop()
    partner = new_partner(api, owner, 'Westside Clinic', 'wes@westside.example', inst)
    deadline = time.monotonic() + 10
    row = None
    while time.monotonic() < deadline:
        row = db_one(db, "SELECT attempts, sent_at, last_error FROM mail_outbox "
                         "WHERE recipient = 'wes@westside.example'")
        if row and row[0] >= 2:
            break
        time.sleep(0.1)
    check(row is not None and row[0] >= 1 and row[1] is None and row[2],
          'with the relay down the mail stays queued, with its error')
    sink.start()
    message = sink.wait_for('wes@westside.example', timeout=20)
    check(message is not None, 'the queued mail is sent once the relay is back')
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        row = db_one(db, "SELECT sent_at, last_error FROM mail_outbox "
                         "WHERE recipient = 'wes@westside.example'")
        if row[0] is not None:
            break
        time.sleep(0.05)
    check(row[0] is not None and row[1] is None, 'the outbox row is marked sent')
    return partner


def mail_not_configured(db, tmp):
    """Without --smtp-url the server says so once and keeps mail queued."""
    port = free_port()
    port_file = os.path.join(tmp, 'port2')
    log_path = os.path.join(tmp, 'server2.log')
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen([SERVER, '--database', db, '--listen', '127.0.0.1:%d' % port,
                                 '--port-file', port_file], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('the second server did not start')
            time.sleep(0.05)
        api = Http(port)
        owner = api.sign_in(OWNER, OWNER_PASSWORD)
        api.create(owner, 'practice_user', {'name': 'Nia New', 'email': 'nia@riverside.example'})
        time.sleep(0.3)
        row = db_one(db, "SELECT attempts, sent_at FROM mail_outbox "
                         "WHERE recipient = 'nia@riverside.example'")
        check(row == (0, None), 'without SMTP the mail stays queued, untried')
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    log = open(log_path, encoding='utf-8', errors='replace').read()
    check(log.count('mail is not configured') == 1, 'the server says once that mail is not configured')


def main():
    tmp = tempfile.mkdtemp(prefix='pd-invite-')
    db = os.path.join(tmp, 'practice.db')
    port, smtp_port = free_port(), free_port()
    api = Http(port)
    sink = Sink(smtp_port)
    sink.start()
    owner_link = init_owner(api, db, tmp, port)
    proc = start_server(db, port, smtp_port, tmp)
    started = time.monotonic()
    try:
        set_owner_password(api, owner_link)
        owner = api.sign_in(OWNER, OWNER_PASSWORD)
        inst, ecg, mri = catalogue(api, owner)
        partner = new_partner(api, owner, 'Northgate Clinic', 'rita@northgate.example', inst)
        check(partner['status'] == 'invited', 'saving the partner marks it invited')
        envelope = sink.wait_for('rita@northgate.example')
        check(envelope is not None, 'an invitation email arrives')
        message = parse_mail(envelope)
        link = link_of(message)
        check_email(message, link)
        check_page(api, link, inst)
        refused_posts(api, db, link, partner)
        password = accept_partner(api, db, owner, link, partner)
        expired = expired_and_forged(api, db, sink, owner, inst)
        api.create(owner, 'activation', {'partner_id': partner['id'], 'institution_id': inst['id'],
                                         'examination_id': ecg['id'], 'enabled': True})
        rita = api.sign_in('rita@northgate.example', password)
        partner_side(api, owner, rita, inst, ecg, mri)
        patient_data_hidden(api, db, owner, rita, partner)
        resend(api, db, sink, owner, expired)
        viewer_and_team(api, db, sink, owner, partner, inst, ecg)
        retry_when_sink_down(api, db, sink, owner, inst)
        log = open(os.path.join(tmp, 'server.log'), encoding='utf-8', errors='replace').read()
        check('/invite/' not in log.replace('/invite/…', ''), 'no invitation token in the log')
        check('rita@' not in log and 'Pat Patient' not in log,
              'no addresses or patient names in the log')
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if sink.controller:
            sink.stop()
    mail_not_configured(db, tmp)
    print('# %.1f s' % (time.monotonic() - started))
    if FAILURES:
        print('# server log:')
        print(open(os.path.join(tmp, 'server.log'), encoding='utf-8', errors='replace').read()[-4000:])
        print('%d failed: %s' % (len(FAILURES), FAILURES))
        sys.exit(1)


if __name__ == '__main__':
    main()
