/* pd-server-invite.c: invitations: single-use tokens, emails, the acceptance page. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-server-private.h"
#include "pd-store-private.h"

#define INVITE_DAYS         7
#define MIN_PASSWORD_CHARS  10
#define MAX_PASSWORD_BYTES  1024
#define MAX_NAME_CHARS      200
#define MAX_FORM_BYTES      (16 * 1024)

/* Invitations in the database */

typedef struct {
  char *token_hash;
  char *kind;        /* "partner" | "partner_user" | "practice_user" */
  char *record_id;
  char *partner_id;
  char *email;
  char *expires_at;
  char *used_at;
} Invitation;

static void
invitation_free (Invitation *inv)
{
  g_free (inv->token_hash);
  g_free (inv->kind);
  g_free (inv->record_id);
  g_free (inv->partner_id);
  g_free (inv->email);
  g_free (inv->expires_at);
  g_free (inv->used_at);
  g_free (inv);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Invitation, invitation_free)

static char *
column_dup (PdStmt *stmt,
            int     column)
{
  return g_strdup (_pd_stmt_text (stmt, column));
}

static Invitation *
invitation_lookup (PdStore    *store,
                   const char *token)
{
  g_autofree char *hash = pd_server_token_hash (token);
  g_autoptr(PdStmt) stmt = NULL;
  Invitation *inv;

  stmt = _pd_store_prepare (store, "SELECT kind, record_id, partner_id, email, expires_at, "
                            "used_at FROM invitations WHERE token_hash = ?1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  inv = g_new0 (Invitation, 1);
  inv->token_hash = g_steal_pointer (&hash);
  inv->kind = column_dup (stmt, 0);
  inv->record_id = column_dup (stmt, 1);
  inv->partner_id = column_dup (stmt, 2);
  inv->email = column_dup (stmt, 3);
  inv->expires_at = column_dup (stmt, 4);
  inv->used_at = column_dup (stmt, 5);
  return inv;
}

/* Ends every unused invitation of RECORD_ID (a new one was issued, or one was accepted). */
static gboolean
invalidate_open (PdStore     *store,
                 const char  *record_id,
                 GError     **error)
{
  g_autofree char *now = pd_timestamp_now ();
  const char *params[] = { record_id, now, NULL };

  return _pd_store_exec_bound (store, "UPDATE invitations SET expires_at = ?2 WHERE record_id = ?1 "
                               "AND used_at IS NULL AND expires_at > ?2", params, error);
}

static const char *
partner_of (PdRecord *record)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  if (type == &pd_partner_type)
    return pd_record_get_id (record);
  if (type == &pd_partner_user_type)
    return pd_record_get_string (record, "partner_id");
  return NULL;
}

char *
pd_server_invite_create (PdStore     *store,
                         const char  *public_url,
                         PdRecord    *record,
                         const char  *email,
                         GError     **error)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  g_autofree char *token = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *now = pd_timestamp_now ();
  g_autofree char *expires = pd_server_timestamp_in (INVITE_DAYS * 24 * 3600);
  g_autofree char *base = g_strdup (public_url);
  g_autoptr(PdStmt) stmt = NULL;

  g_return_val_if_fail (type == &pd_partner_type || type == &pd_partner_user_type
                        || type == &pd_practice_user_type, NULL);
  g_return_val_if_fail (public_url != NULL && email != NULL, NULL);

  if (!invalidate_open (store, pd_record_get_id (record), error))
    return NULL;
  token = pd_server_new_token ();
  hash = pd_server_token_hash (token);
  stmt = _pd_store_prepare (store, "INSERT INTO invitations (token_hash, kind, record_id, "
                            "partner_id, email, created_at, expires_at) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, type->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, pd_record_get_id (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, partner_of (record), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, email, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, expires, -1, SQLITE_TRANSIENT);
  if (!_pd_store_step_done (store, stmt, error))
    return NULL;
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  return g_strdup_printf ("%s/invite/%s", base, token);
}

/* Emails */

static char *
practice_name (PdStore *store)
{
  g_autofree char *name = pd_store_get_setting (store, "practice_name");

  if (name && *name)
    return g_steal_pointer (&name);
  return g_strdup (_("Your practice"));
}

static char *
partner_name (PdStore    *store,
              const char *partner_id)
{
  g_autoptr(PdRecord) partner = NULL;

  if (partner_id)
    partner = pd_store_get (store, &pd_partner_type, partner_id, NULL);
  return g_strdup (partner ? pd_record_get_title (partner) : "");
}

static char *
greeting (const char *name)
{
  if (name && *name)
    /* TRANSLATORS: the first line of an invitation email */
    return g_strdup_printf (_("Hello %s,"), name);
  return g_strdup (_("Hello,"));
}

static char *
invitation_text (PdStore    *store,
                 PdRecord   *record,
                 const char *practice)
{
  const PdRecordType *type = pd_record_get_record_type (record);
  g_autofree char *partner = partner_name (store, partner_of (record));

  if (type == &pd_partner_type)
    /* TRANSLATORS: practice, partner */
    return g_strdup_printf (_("%s invites %s to work with it as a partner: to book its "
                              "examinations on the terms it has set."), practice, partner);
  if (type == &pd_partner_user_type)
    /* TRANSLATORS: practice, partner */
    return g_strdup_printf (_("%s invites you to the partner portal of %s."), practice,
                            partner);
  /* TRANSLATORS: practice */
  return g_strdup_printf (_("%s invites you to join its team on Partner Desk."), practice);
}

static gboolean
send_invitation (PdServer    *self,
                 PdRecord    *record,
                 const char  *email,
                 const char  *name,
                 GError     **error)
{
  g_autofree char *link = NULL;
  g_autofree char *practice = practice_name (self->store);
  g_autofree char *subject = NULL;
  g_autofree char *hello = greeting (name);
  g_autofree char *text = invitation_text (self->store, record, practice);
  g_autofree char *body = NULL;

  link = pd_server_invite_create (self->store, self->config.public_url, record, email, error);
  if (link == NULL)
    return FALSE;
  /* TRANSLATORS: an email subject; %s is the practice */
  subject = g_strdup_printf (_("Invitation to work with %s"), practice);
  body = g_strdup_printf ("%s\n\n%s\n\n%s\n\n%s\n\n%s\n", hello, text,
                          _("Open this link to see the details and accept the invitation:"),
                          link,
                          _("The link works once and expires in 7 days. If you did not "
                            "expect this email, you can ignore it."));
  return pd_server_mail_enqueue (self, email, subject, body, error);
}

/* A new record (OLD NULL) or a changed invitation_requested_at ("Resend invitation"). */
static gboolean
invitation_requested (PdRecord *old,
                      PdRecord *record)
{
  if (old == NULL)
    return TRUE;
  return pd_record_is_set (record, "invitation_requested_at")
         && !pd_record_field_equal (old, record, "invitation_requested_at");
}

/* A corrected address of someone not yet on board gets the invitation it was meant for. */
static gboolean
email_changed (PdRecord   *old,
               PdRecord   *record,
               const char *field)
{
  return old != NULL && pd_record_is_set (record, field)
         && !pd_record_field_equal (old, record, field);
}

static gboolean
invite_partner (PdServer  *self,
                PdRecord  *old,
                PdRecord  *record,
                GError   **error)
{
  const char *email = pd_record_get_string (record, "rep_email");
  const char *status = pd_record_get_string (record, "status");
  gboolean draft = g_strcmp0 (status, "draft") == 0;

  /* An active or terminated partner needs no invitation (a desktop pushing old data). */
  if (email == NULL || !(draft || g_strcmp0 (status, "invited") == 0)
      || !(invitation_requested (old, record) || email_changed (old, record, "rep_email")))
    return TRUE;
  if (!send_invitation (self, record, email, pd_record_get_string (record, "rep_name"), error))
    return FALSE;
  if (!draft)
    return TRUE;
  /* Nested in the write's transaction; RECORD gets the new version and status. */
  pd_record_set_string (record, "status", "invited");
  return pd_store_save (self->store, record, error);
}

static gboolean
invite_partner_user (PdServer  *self,
                     PdRecord  *old,
                     PdRecord  *record,
                     GError   **error)
{
  const char *email = pd_record_get_string (record, "email");
  const char *status = pd_record_get_string (record, "status");
  gboolean invited = g_strcmp0 (status, "invited") == 0;
  gboolean wanted;

  if (email == NULL || g_strcmp0 (status, "disabled") == 0)
    return TRUE;
  if (old == NULL)
    wanted = invited;
  else
    wanted = invitation_requested (old, record)
             || (invited && email_changed (old, record, "email"));
  if (!wanted)
    return TRUE;
  return send_invitation (self, record, email, pd_record_get_string (record, "name"), error);
}

static gboolean
invite_practice_user (PdServer  *self,
                      PdRecord  *old,
                      PdRecord  *record,
                      GError   **error)
{
  const char *email = pd_record_get_string (record, "email");

  if (email == NULL || !invitation_requested (old, record))
    return TRUE;
  return send_invitation (self, record, email, pd_record_get_string (record, "name"), error);
}

gboolean
pd_server_invite_after_write (PdServer  *self,
                              PdRecord  *old,
                              PdRecord  *record,
                              GError   **error)
{
  const PdRecordType *type;

  g_return_val_if_fail (PD_IS_SERVER (self), FALSE);
  g_return_val_if_fail (PD_IS_RECORD (record), FALSE);

  type = pd_record_get_record_type (record);
  if (pd_record_get_deleted (record))
    return TRUE;
  if (type == &pd_partner_type)
    return invite_partner (self, old, record, error);
  if (type == &pd_partner_user_type)
    return invite_partner_user (self, old, record, error);
  if (type == &pd_practice_user_type)
    return invite_practice_user (self, old, record, error);
  return TRUE;
}

/* The page: HTML */

static void
append_escaped (GString    *out,
                const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text ? text : "", -1);

  g_string_append (out, escaped);
}

static const char page_css[] =
  "body{font-family:system-ui,sans-serif;line-height:1.5;color:#1e1e1e;background:#f6f5f4;"
  "margin:0;padding:1rem}"
  "main{max-width:36rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;"
  "border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}"
  "h1{font-size:1.5rem;margin-top:0}h2{font-size:1.15rem}"
  "dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}"
  "label{display:block;font-weight:600;margin-top:1rem}"
  "input{display:block;width:100%;box-sizing:border-box;font:inherit;padding:.5rem;"
  "border:1px solid #77767b;border-radius:.375rem}"
  "input:focus,button:focus{outline:3px solid #1c71d8;outline-offset:1px}"
  "button{margin-top:1.5rem;font:inherit;font-weight:600;padding:.6rem 1.5rem;border:0;"
  "border-radius:.375rem;background:#1a5fb4;color:#fff;cursor:pointer}"
  ".error{color:#a51d2d;background:#fbe9eb;border-left:4px solid #c01c28;padding:.5rem .75rem}"
  ".hint{color:#5e5c64;font-size:.9rem;margin:.25rem 0 0}";

static char *
page (const char *title,
      const char *content)
{
  g_autoptr(GString) out = g_string_new ("<!DOCTYPE html>\n<html lang=\"");

  /* TRANSLATORS: the language code of this translation, for the lang attribute of web pages */
  append_escaped (out, C_("html-lang", "en"));
  g_string_append (out, "\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                        "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
  append_escaped (out, title);
  g_string_append_printf (out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1>",
                          page_css);
  append_escaped (out, title);
  g_string_append (out, "</h1>\n");
  g_string_append (out, content);
  g_string_append (out, "</main>\n</body>\n</html>\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
reply_page (SoupServerMessage *msg,
            guint              status,
            const char        *title,
            const char        *content)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *html = page (title, content);

  /* The token in the address is the secret: never cached, never sent on as a referrer. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  pd_server_reply_html (msg, status, html);
}

static void
reply_message (SoupServerMessage *msg,
               guint              status,
               const char        *title,
               const char        *text)
{
  g_autoptr(GString) content = g_string_new ("<p>");

  append_escaped (content, text);
  g_string_append (content, "</p>\n");
  reply_page (msg, status, title, content->str);
}

static void
append_term (GString    *out,
             const char *label,
             const char *value)
{
  g_string_append (out, "<dt>");
  append_escaped (out, label);
  g_string_append (out, "</dt><dd>");
  append_escaped (out, value && *value ? value : _("Not set"));
  g_string_append (out, "</dd>\n");
}

static char *
format_commission (PdStore  *store,
                   PdRecord *partner)
{
  g_autofree char *mode = pd_store_format_field (store, partner, "commission_mode");
  const char *mode_nick = pd_record_get_string (partner, "commission_mode");
  const char *value_field = g_strcmp0 (mode_nick, "fixed") == 0 ? "commission_fixed"
                                                                 : "commission_percent";
  g_autofree char *value = pd_store_format_field (store, partner, value_field);

  if (mode == NULL)
    return NULL;
  if (value == NULL)
    return g_steal_pointer (&mode);
  /* TRANSLATORS: commission mode and value, "Percentage: 12.5 %" */
  return g_strdup_printf (C_("commission", "%s: %s"), mode, value);
}

static void
append_terms (GString  *out,
              PdStore  *store,
              PdRecord *partner)
{
  g_autofree char *institutions = pd_store_format_field (store, partner, "institutions");
  g_autofree char *commission = format_commission (store, partner);
  g_autofree char *statistics = pd_store_format_field (store, partner, "statistics_required");
  g_autofree char *payment = pd_store_format_field (store, partner, "payment_location");
  g_autofree char *patients = pd_store_format_field (store, partner, "patient_data_visible");

  g_string_append (out, "<h2>");
  append_escaped (out, _("Terms"));
  g_string_append (out, "</h2>\n<dl>\n");
  append_term (out, _("Institutions where you can book"), institutions);
  append_term (out, _("Commission"), commission);
  append_term (out, _("Statistics required"), statistics);
  append_term (out, _("Payment location"), payment);
  append_term (out, _("You may view patient data"), patients);
  g_string_append (out, "</dl>\n");
}

static void
append_input (GString    *out,
              const char *id,
              const char *label,
              const char *type,
              const char *autocomplete,
              const char *value,
              const char *hint)
{
  g_string_append_printf (out, "<label for=\"%s\">", id);
  append_escaped (out, label);
  g_string_append_printf (out, "</label>\n<input id=\"%s\" name=\"%s\" type=\"%s\" "
                          "autocomplete=\"%s\" required", id, id, type, autocomplete);
  if (hint)
    g_string_append_printf (out, " aria-describedby=\"%s-hint\"", id);
  if (value)
    {
      g_string_append (out, " value=\"");
      append_escaped (out, value);
      g_string_append (out, "\"");
    }
  g_string_append (out, ">\n");
  if (hint)
    {
      g_string_append_printf (out, "<p class=\"hint\" id=\"%s-hint\">", id);
      append_escaped (out, hint);
      g_string_append (out, "</p>\n");
    }
}

static void
append_form (GString    *out,
             const char *email,
             const char *name,
             const char *problem)
{
  g_autofree char *hint = g_strdup_printf (_("At least %d characters."), MIN_PASSWORD_CHARS);
  g_autofree char *sign_in = NULL;

  g_string_append (out, "<h2>");
  append_escaped (out, _("Your account"));
  g_string_append (out, "</h2>\n");
  /* TRANSLATORS: %s is an email address */
  sign_in = g_strdup_printf (_("You will sign in as %s."), email);
  g_string_append (out, "<p>");
  append_escaped (out, sign_in);
  g_string_append (out, "</p>\n");
  if (problem)
    {
      g_string_append (out, "<p class=\"error\" role=\"alert\" id=\"problem\">");
      append_escaped (out, problem);
      g_string_append (out, "</p>\n");
    }
  g_string_append (out, "<form method=\"post\">\n");
  append_input (out, "name", _("Your name"), "text", "name", name, NULL);
  append_input (out, "password", _("Password"), "password", "new-password", NULL, hint);
  append_input (out, "password_repeat", _("Repeat the password"), "password", "new-password",
                NULL, NULL);
  g_string_append (out, "<button type=\"submit\">");
  append_escaped (out, _("Accept"));
  g_string_append (out, "</button>\n</form>\n");
}

/* The page: states */

typedef enum {
  INVITE_OK,
  INVITE_UNKNOWN,
  INVITE_USED,
  INVITE_EXPIRED,
  INVITE_WITHDRAWN,
} InviteState;

/* What the invitation names: the partner, partner user or practice user. */
typedef struct {
  Invitation *inv;
  PdRecord   *record;   /* the invited record */
  PdRecord   *partner;  /* its partner (partner and partner user invitations) */
} Invite;

static void
invite_clear (Invite *invite)
{
  g_clear_pointer (&invite->inv, invitation_free);
  g_clear_object (&invite->record);
  g_clear_object (&invite->partner);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Invite, invite_clear)

static gboolean
token_well_formed (const char *token)
{
  gsize len = strlen (token);

  if (len < 16 || len > 128)
    return FALSE;
  for (const char *p = token; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
expired (const char *expires_at)
{
  g_autoptr(GDateTime) expires = g_date_time_new_from_iso8601 (expires_at, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return expires == NULL || g_date_time_compare (expires, now) <= 0;
}

static const PdRecordType *
kind_type (const char *kind)
{
  if (g_strcmp0 (kind, "partner") == 0)
    return &pd_partner_type;
  if (g_strcmp0 (kind, "partner_user") == 0)
    return &pd_partner_user_type;
  if (g_strcmp0 (kind, "practice_user") == 0)
    return &pd_practice_user_type;
  return NULL;
}

static const char *
invited_email (PdRecord *record)
{
  if (pd_record_get_record_type (record) == &pd_partner_type)
    return pd_record_get_string (record, "rep_email");
  return pd_record_get_string (record, "email");
}

/* Still meant: the record lives, its email is the one invited, its status allows it. */
static gboolean
still_meant (Invite *invite)
{
  const PdRecordType *type = pd_record_get_record_type (invite->record);
  const char *status = type == &pd_practice_user_type
                         ? NULL : pd_record_get_string (invite->record, "status");
  g_autofree char *a = pd_text_fold (invited_email (invite->record));
  g_autofree char *b = pd_text_fold (invite->inv->email);

  if (pd_record_get_deleted (invite->record) || g_strcmp0 (a, b) != 0)
    return FALSE;
  if (invite->partner && pd_record_get_deleted (invite->partner))
    return FALSE;
  if (type == &pd_partner_type)
    return g_strcmp0 (status, "draft") == 0 || g_strcmp0 (status, "invited") == 0;
  if (type == &pd_partner_user_type)
    return g_strcmp0 (status, "disabled") != 0;
  return TRUE;
}

static InviteState
invite_load (PdServer   *self,
             const char *token,
             Invite     *invite)
{
  const PdRecordType *type;

  if (!token_well_formed (token) || (invite->inv = invitation_lookup (self->store, token)) == NULL)
    return INVITE_UNKNOWN;
  if (invite->inv->used_at)
    return INVITE_USED;
  if (expired (invite->inv->expires_at))
    return INVITE_EXPIRED;
  type = kind_type (invite->inv->kind);
  if (type)
    invite->record = pd_store_get (self->store, type, invite->inv->record_id, NULL);
  if (invite->record && invite->inv->partner_id)
    invite->partner = pd_store_get (self->store, &pd_partner_type, invite->inv->partner_id,
                                    NULL);
  if (invite->record == NULL || (invite->inv->partner_id && invite->partner == NULL)
      || !still_meant (invite))
    return INVITE_WITHDRAWN;
  return INVITE_OK;
}

static void
reply_state (SoupServerMessage *msg,
             InviteState        state)
{
  switch (state)
    {
    case INVITE_UNKNOWN:
      reply_message (msg, SOUP_STATUS_NOT_FOUND, _("Invitation not found"),
                     _("This invitation link is not valid. Check that you opened the whole "
                       "link from the email."));
      break;
    case INVITE_USED:
      reply_message (msg, SOUP_STATUS_GONE, _("Invitation already accepted"),
                     _("This invitation was already accepted. Sign in with the email address "
                       "and password chosen then."));
      break;
    case INVITE_EXPIRED:
      reply_message (msg, SOUP_STATUS_GONE, _("Invitation expired"),
                     _("This invitation has expired; ask the practice to send a new one."));
      break;
    case INVITE_WITHDRAWN:
      reply_message (msg, SOUP_STATUS_GONE, _("Invitation withdrawn"),
                     _("This invitation is no longer valid; ask the practice to send a new "
                       "one."));
      break;
    case INVITE_OK:
    default:
      g_assert_not_reached ();
    }
}

static const char *
default_name (Invite *invite)
{
  if (pd_record_get_record_type (invite->record) == &pd_partner_type)
    return pd_record_get_string (invite->record, "rep_name");
  return pd_record_get_string (invite->record, "name");
}

static void
reply_form (PdServer          *self,
            SoupServerMessage *msg,
            guint              status,
            Invite            *invite,
            const char        *name,
            const char        *problem)
{
  g_autofree char *practice = practice_name (self->store);
  g_autofree char *text = invitation_text (self->store, invite->record, practice);
  /* TRANSLATORS: a page title; %s is the practice */
  g_autofree char *title = g_strdup_printf (_("Invitation from %s"), practice);
  g_autoptr(GString) content = g_string_new ("<p>");

  append_escaped (content, text);
  g_string_append (content, "</p>\n");
  if (pd_record_get_record_type (invite->record) == &pd_partner_type)
    append_terms (content, self->store, invite->record);
  append_form (content, invite->inv->email, name, problem);
  reply_page (msg, status, title, content->str);
}

/* Accepting */

typedef struct {
  PdServer   *self;
  Invite     *invite;
  const char *name;
  const char *password;
  const char *address;
  char       *user_id;  /* out: the account that can now sign in */
} Accept;

static gboolean
mark_used (PdStore     *store,
           Invitation  *inv,
           GError     **error)
{
  g_autofree char *now = pd_timestamp_now ();
  const char *params[] = { inv->token_hash, now, NULL };

  if (!_pd_store_exec_bound (store, "UPDATE invitations SET used_at = ?2 "
                             "WHERE token_hash = ?1 AND used_at IS NULL", params, error))
    return FALSE;
  if (sqlite3_changes (store->db) != 1)
    {
      g_set_error_literal (error, PD_ERROR, PD_ERROR_INVALID,
                           _("This invitation was already accepted."));
      return FALSE;
    }
  return invalidate_open (store, inv->record_id, error);
}

/* The accepted user writes (audit "who" and address). */
static void
act_as (Accept     *accept,
        const char *user_id)
{
  pd_store_set_actor (accept->self->store, user_id);
  pd_store_set_actor_address (accept->self->store, accept->address);
}

static gboolean
accept_partner (Accept  *accept,
                GError **error)
{
  PdStore *store = accept->self->store;
  g_autoptr(PdRecord) partner = pd_record_copy (accept->invite->record);
  g_autoptr(PdRecord) user = pd_record_new (&pd_partner_user_type);
  const char *email = accept->invite->inv->email;

  pd_record_set_string (user, "partner_id", pd_record_get_id (partner));
  pd_record_set_string (user, "name", accept->name);
  pd_record_set_string (user, "email", email);
  pd_record_set_string (user, "role", "partner_admin");
  pd_record_set_string (user, "status", "active");
  act_as (accept, pd_record_get_id (user));
  if (!pd_store_save (store, user, error))
    return FALSE;
  /* Again, now that the user exists: its name goes into the audit rows. */
  act_as (accept, pd_record_get_id (user));
  if (!pd_server_set_password (accept->self, pd_record_get_id (user), TRUE, email,
                               accept->password, error))
    return FALSE;
  if (!pd_record_is_set (partner, "rep_name"))
    pd_record_set_string (partner, "rep_name", accept->name);
  pd_record_set_string (partner, "status", "active");
  accept->user_id = g_strdup (pd_record_get_id (user));
  return pd_store_save (store, partner, error);
}

static gboolean
accept_user (Accept  *accept,
             GError **error)
{
  PdStore *store = accept->self->store;
  g_autoptr(PdRecord) user = pd_record_copy (accept->invite->record);
  gboolean partner_user = pd_record_get_record_type (user) == &pd_partner_user_type;

  act_as (accept, pd_record_get_id (user));
  pd_record_set_string (user, "name", accept->name);
  if (partner_user)
    pd_record_set_string (user, "status", "active");
  accept->user_id = g_strdup (pd_record_get_id (user));
  return pd_store_save (store, user, error)
         && pd_server_set_password (accept->self, pd_record_get_id (user), partner_user,
                                    accept->invite->inv->email, accept->password, error);
}

static gboolean
accept_cb (PdStore  *store,
           gpointer  data,
           GError  **error)
{
  Accept *accept = data;

  if (!mark_used (store, accept->invite->inv, error))
    return FALSE;
  if (pd_record_get_record_type (accept->invite->record) == &pd_partner_type)
    return accept_partner (accept, error);
  return accept_user (accept, error);
}

/* The form */

static char *
form_value (GHashTable *form,
            const char *key)
{
  const char *value = form ? g_hash_table_lookup (form, key) : NULL;

  return value && g_utf8_validate (value, -1, NULL) ? g_strdup (value) : NULL;
}

/* The problem with the form (translated, owned), or NULL. */
static char *
form_problem (const char *name,
              const char *password,
              const char *repeat)
{
  if (name == NULL || *name == '\0')
    return g_strdup (_("Enter your name."));
  if (g_utf8_strlen (name, -1) > MAX_NAME_CHARS)
    return g_strdup_printf (_("The name can be at most %d characters long."), MAX_NAME_CHARS);
  if (password == NULL || g_utf8_strlen (password, -1) < MIN_PASSWORD_CHARS)
    return g_strdup_printf (_("The password must be at least %d characters long."),
                            MIN_PASSWORD_CHARS);
  if (strlen (password) > MAX_PASSWORD_BYTES)
    return g_strdup_printf (_("The password can be at most %d bytes long."),
                            MAX_PASSWORD_BYTES);
  if (g_strcmp0 (password, repeat) != 0)
    return g_strdup (_("The two passwords do not match."));
  return NULL;
}

/* "scheme://host[:port]" of URL, for comparing with Origin. */
static char *
origin_of (const char *url)
{
  g_autoptr(GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  int port;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  port = g_uri_get_port (uri);
  if (port > 0)
    return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri), g_uri_get_host (uri), port);
  return g_strdup_printf ("%s://%s", g_uri_get_scheme (uri), g_uri_get_host (uri));
}

/* A browser posting from another site says so in Origin: refuse it (CSRF). */
static gboolean
origin_allowed (PdServer          *self,
                SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  g_autofree char *public_origin = origin_of (self->config.public_url);
  g_autofree char *own_origin = NULL;
  g_autofree char *given = NULL;
  g_autofree char *own = g_uri_to_string (soup_server_message_get_uri (msg));

  if (origin == NULL)
    return TRUE;
  given = origin_of (origin);
  own_origin = origin_of (own);
  return given != NULL && ((public_origin && g_ascii_strcasecmp (given, public_origin) == 0)
                           || (own_origin && g_ascii_strcasecmp (given, own_origin) == 0));
}

static GHashTable *
read_form (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  g_autofree char *text = NULL;

  if (type == NULL || g_ascii_strcasecmp (type, "application/x-www-form-urlencoded") != 0)
    {
      reply_message (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, _("Unsupported form"),
                     _("The form must be sent as application/x-www-form-urlencoded."));
      return NULL;
    }
  if (body->length > MAX_FORM_BYTES)
    {
      reply_message (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, _("Form too large"),
                     _("The form is larger than this page ever sends."));
      return NULL;
    }
  text = g_strndup (body->data ? body->data : "", body->length);
  return soup_form_decode (text);
}

static void
reply_thanks (PdServer          *self,
              SoupServerMessage *msg,
              Invite            *invite)
{
  g_autofree char *practice = practice_name (self->store);
  g_autofree char *partner = invite->partner ? g_strdup (pd_record_get_title (invite->partner))
                                             : NULL;
  g_autofree char *done = NULL;
  /* TRANSLATORS: %s is an email address */
  g_autofree char *sign_in = g_strdup_printf (_("Sign in with %s and the password you chose."),
                                              invite->inv->email);
  g_autoptr(GString) content = g_string_new ("<p>");

  if (pd_record_get_record_type (invite->record) == &pd_partner_type)
    /* TRANSLATORS: partner, practice */
    done = g_strdup_printf (_("%s is now an active partner of %s."), partner, practice);
  else
    done = g_strdup (_("Your account is ready."));
  append_escaped (content, done);
  g_string_append (content, "</p>\n<p>");
  append_escaped (content, sign_in);
  g_string_append (content, "</p>\n");
  reply_page (msg, SOUP_STATUS_OK, _("Thank you — the invitation is accepted"), content->str);
}

static void
post_accept (PdServer          *self,
             SoupServerMessage *msg,
             Invite            *invite)
{
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;
  g_autofree char *repeat = NULL;
  g_autofree char *problem = NULL;
  g_autoptr(GError) error = NULL;
  Accept accept = { self, invite, NULL, NULL, pd_server_client_address (msg), NULL };
  gboolean ok;

  if (!origin_allowed (self, msg))
    {
      reply_message (msg, SOUP_STATUS_FORBIDDEN, _("Refused"),
                     _("This form can only be sent from its own page."));
      return;
    }
  if ((form = read_form (msg)) == NULL)
    return;
  name = form_value (form, "name");
  if (name)
    g_strstrip (name);
  password = form_value (form, "password");
  repeat = form_value (form, "password_repeat");
  problem = form_problem (name, password, repeat);
  if (problem)
    {
      reply_form (self, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, invite, name, problem);
      goto out;
    }
  accept.name = name;
  accept.password = password;
  ok = pd_store_transaction (self->store, accept_cb, &accept, &error);
  pd_store_set_actor (self->store, NULL);
  pd_store_set_actor_address (self->store, NULL);
  if (!ok)
    {
      /* The message may name an address: not logged. */
      g_message ("invitation not accepted: %s %d", g_quark_to_string (error->domain),
                 error->code);
      reply_form (self, msg, g_error_matches (error, PD_ERROR, PD_ERROR_INVALID)
                               ? SOUP_STATUS_CONFLICT : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                  invite, name, error->message);
      goto out;
    }
  reply_thanks (self, msg, invite);

out:
  if (password)
    memset (password, 0, strlen (password));
  if (repeat)
    memset (repeat, 0, strlen (repeat));
  g_free (accept.user_id);
}

static void
invite_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  PdServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto(Invite) invite = { 0 };
  InviteState state;

  if (!g_str_has_prefix (path, "/invite/"))
    {
      reply_state (msg, INVITE_UNKNOWN);
      return;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD && method != SOUP_METHOD_POST)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET, HEAD, POST");
      reply_message (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, _("Not allowed"),
                     _("This page can only be opened or its form sent."));
      return;
    }
  state = invite_load (self, path + strlen ("/invite/"), &invite);
  if (state != INVITE_OK)
    reply_state (msg, state);
  else if (method == SOUP_METHOD_POST)
    post_accept (self, msg, &invite);
  else
    reply_form (self, msg, SOUP_STATUS_OK, &invite, default_name (&invite), NULL);
}

void
pd_server_invite_register (PdServer *self)
{
  soup_server_add_handler (self->soup, "/invite", invite_cb, self, NULL);
}
