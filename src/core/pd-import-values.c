/* pd-import-values.c: what a cell of an eligibility file means: dates, relationship and status words, header keys. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-import-private.h"

/* Header keys and value keys: lower-case letters and digits only. */

char *
_pd_import_header_key (const char *text)
{
  g_autofree char *folded = NULL;
  GString *key;

  if (text == NULL)
    return g_strdup ("");
  folded = g_utf8_casefold (text, -1);
  key = g_string_new (NULL);
  for (const char *p = folded; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        g_string_append_unichar (key, c);
    }
  return g_string_free (key, FALSE);
}

/* ASCII key of a short value into BUF (NUL-terminated); FALSE when too long. */
static gboolean
value_key (const char *text,
           gsize       len,
           char       *buf,
           gsize       size)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];

      if (!g_ascii_isalnum (c))
        continue;
      if (n + 1 >= size)
        return FALSE;
      buf[n++] = g_ascii_tolower (c);
    }
  buf[n] = '\0';
  return TRUE;
}

typedef struct {
  const char *key;
  const char *nick;
} Word;

/* The nick of TEXT in WORDS (the first entry of its key), through *INDEX: a hash table made
 * on first use (three lookups per row of a million-row file). */
static const char *
lookup_word (const Word  *words,
             GHashTable **index,
             const char  *text,
             gsize        len)
{
  char key[40];

  if (g_once_init_enter (index))
    {
      GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);

      for (const Word *w = words; w->key; w++)
        if (!g_hash_table_contains (table, w->key))
          g_hash_table_insert (table, (gpointer) w->key, (gpointer) w->nick);
      g_once_init_leave (index, table);
    }
  if (!value_key (text, len, key, sizeof key) || key[0] == '\0')
    return NULL;
  return g_hash_table_lookup (*index, key);
}

static const Word relationship_words[] = {
  { "employee", "employee" }, { "self", "employee" }, { "subscriber", "employee" },
  { "ee", "employee" }, { "e", "employee" }, { "18", "employee" }, { "emp", "employee" },
  { "primary", "employee" }, { "insured", "employee" }, { "member", "employee" },
  { "principal", "employee" }, { "worker", "employee" }, { "mitarbeiter", "employee" },
  { "spouse", "spouse" }, { "sp", "spouse" }, { "s", "spouse" }, { "01", "spouse" },
  { "wife", "spouse" }, { "husband", "spouse" }, { "ehepartner", "spouse" },
  { "child", "child" }, { "ch", "child" }, { "c", "child" }, { "dependentchild", "child" },
  { "19", "child" }, { "dependent", "child" }, { "dep", "child" }, { "son", "child" },
  { "daughter", "child" }, { "stepchild", "child" }, { "17", "child" },
  { "fosterchild", "child" }, { "10", "child" }, { "adoptedchild", "child" }, { "09", "child" },
  { "kind", "child" }, { "children", "child" },
  { "domesticpartner", "other" }, { "dp", "other" }, { "53", "other" }, { "other", "other" },
  { "o", "other" }, { "oth", "other" }, { "partner", "other" }, { "lifepartner", "other" },
  { "grandchild", "other" }, { "05", "other" }, { "ward", "other" }, { "15", "other" },
  { "g8", "other" }, { "otherrelationship", "other" }, { "sonstige", "other" },
  { NULL, NULL },
};

static const Word eligibility_words[] = {
  { "eligible", "eligible" }, { "active", "eligible" }, { "a", "eligible" },
  { "y", "eligible" }, { "yes", "eligible" }, { "e", "eligible" }, { "1", "eligible" },
  { "true", "eligible" }, { "covered", "eligible" }, { "ac", "eligible" },
  { "ineligible", "ineligible" }, { "noteligible", "ineligible" }, { "inactive", "ineligible" },
  { "i", "ineligible" }, { "n", "ineligible" }, { "no", "ineligible" }, { "0", "ineligible" },
  { "false", "ineligible" }, { "suspended", "ineligible" }, { "notcovered", "ineligible" },
  { "terminated", "terminated" }, { "termed", "terminated" }, { "term", "terminated" },
  { "t", "terminated" }, { "cancelled", "terminated" }, { "canceled", "terminated" },
  { "ended", "terminated" }, { "te", "terminated" },
  { NULL, NULL },
};

static const Word enrollment_words[] = {
  { "notenrolled", "not_enrolled" }, { "none", "not_enrolled" }, { "n", "not_enrolled" },
  { "no", "not_enrolled" }, { "ne", "not_enrolled" }, { "unenrolled", "not_enrolled" },
  { "0", "not_enrolled" }, { "false", "not_enrolled" }, { "notenroled", "not_enrolled" },
  { "invited", "invited" }, { "pending", "invited" }, { "inv", "invited" }, { "i", "invited" },
  { "enrolled", "enrolled" }, { "enroled", "enrolled" }, { "y", "enrolled" },
  { "yes", "enrolled" }, { "e", "enrolled" }, { "active", "enrolled" }, { "1", "enrolled" },
  { "true", "enrolled" },
  { "declined", "declined" }, { "d", "declined" }, { "waived", "declined" },
  { "w", "declined" }, { "refused", "declined" }, { "optedout", "declined" },
  { NULL, NULL },
};

static const Word maintenance_words[] = {
  { "add", "add" }, { "021", "add" }, { "a", "add" }, { "new", "add" }, { "addition", "add" },
  { "change", "change" }, { "001", "change" }, { "c", "change" }, { "update", "change" },
  { "u", "change" }, { "changes", "change" },
  { "terminate", "terminate" }, { "024", "terminate" }, { "t", "terminate" },
  { "term", "terminate" }, { "cancel", "terminate" }, { "cancellation", "terminate" },
  { "reinstate", "reinstate" }, { "025", "reinstate" }, { "r", "reinstate" },
  { "reinstatement", "reinstate" },
  { "audit", "audit" }, { "030", "audit" }, { "verify", "audit" }, { "full", "audit" },
  { NULL, NULL },
};

const char *
_pd_normalize_relationship (const char *text,
                            gsize       len)
{
  static GHashTable *index;

  return lookup_word (relationship_words, &index, text, len);
}

const char *
_pd_normalize_eligibility (const char *text,
                           gsize       len)
{
  static GHashTable *index;

  return lookup_word (eligibility_words, &index, text, len);
}

const char *
_pd_normalize_enrollment (const char *text,
                          gsize       len)
{
  static GHashTable *index;

  return lookup_word (enrollment_words, &index, text, len);
}

const char *
_pd_normalize_maintenance (const char *text,
                           gsize       len)
{
  static GHashTable *index;

  return lookup_word (maintenance_words, &index, text, len);
}

/* Dates */

typedef struct {
  int  a, b, c;       /* numbers in the order written */
  int  a_digits;
  char sep;
  gboolean year_first;
} DateParts;

/* Splits "1980-04-23", "04/23/1980", "23.04.1980" or "19800423". */
static gboolean
split_date (const char *text,
            gsize       len,
            DateParts  *parts)
{
  int nums[3] = { 0, 0, 0 };
  int digits[3] = { 0, 0, 0 };
  char seps[2] = { 0, 0 };
  int k = 0;

  if (len == 8)
    {
      gsize i;

      for (i = 0; i < 8 && g_ascii_isdigit (text[i]); i++)
        ;
      if (i == 8)
        {
          parts->a = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10
                     + (text[3] - '0');
          parts->b = (text[4] - '0') * 10 + (text[5] - '0');
          parts->c = (text[6] - '0') * 10 + (text[7] - '0');
          parts->a_digits = 4;
          parts->sep = '-';
          parts->year_first = TRUE;
          return TRUE;
        }
    }
  for (gsize i = 0; i < len; i++)
    {
      char ch = text[i];

      if (g_ascii_isdigit (ch))
        {
          if (digits[k] >= 4)
            return FALSE;
          nums[k] = nums[k] * 10 + (ch - '0');
          digits[k]++;
        }
      else if ((ch == '-' || ch == '/' || ch == '.') && k < 2 && digits[k] > 0)
        seps[k++] = ch;
      else
        return FALSE;
    }
  if (k != 2 || digits[2] == 0 || seps[0] != seps[1])
    return FALSE;
  parts->a = nums[0];
  parts->b = nums[1];
  parts->c = nums[2];
  parts->a_digits = digits[0];
  parts->sep = seps[0];
  if (digits[0] == 4 && digits[1] <= 2 && digits[2] <= 2)
    parts->year_first = TRUE;
  else if (digits[0] <= 2 && digits[1] <= 2 && digits[2] == 4)
    parts->year_first = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
valid_day (int year,
           int month,
           int day)
{
  return year >= 1000 && year <= 9999 && month >= 1 && month <= 12 && day >= 1
         && day <= g_date_get_days_in_month ((GDateMonth) month, (GDateYear) year);
}

guint
_pd_date_fitting_orders (const char *text,
                         gsize       len,
                         gboolean   *shaped)
{
  DateParts p;
  guint fits = 0;

  *shaped = split_date (text, len, &p);
  if (!*shaped)
    return 0;
  if (p.year_first)
    return valid_day (p.a, p.b, p.c) ? 1u << PD_DATE_ORDER_YMD : 0;
  if (p.sep == '.')
    return valid_day (p.c, p.b, p.a) ? 1u << PD_DATE_ORDER_DMY : 0;
  if (valid_day (p.c, p.a, p.b))
    fits |= 1u << PD_DATE_ORDER_MDY;
  if (valid_day (p.c, p.b, p.a))
    fits |= 1u << PD_DATE_ORDER_DMY;
  return fits;
}

static void
format_iso (int   year,
            int   month,
            int   day,
            char  out[11])
{
  out[0] = '0' + year / 1000;
  out[1] = '0' + year / 100 % 10;
  out[2] = '0' + year / 10 % 10;
  out[3] = '0' + year % 10;
  out[4] = '-';
  out[5] = '0' + month / 10;
  out[6] = '0' + month % 10;
  out[7] = '-';
  out[8] = '0' + day / 10;
  out[9] = '0' + day % 10;
  out[10] = '\0';
}

PdDateStatus
_pd_date_parse (const char  *text,
                gsize        len,
                PdDateOrder  order,
                char         out[11])
{
  DateParts p;
  int year, month, day;

  if (!split_date (text, len, &p))
    return PD_DATE_UNPARSEABLE;
  year = p.year_first ? p.a : p.c;
  if (p.year_first)
    month = p.b, day = p.c;
  else if (p.sep == '.' || order == PD_DATE_ORDER_DMY)
    day = p.a, month = p.b;
  else
    month = p.a, day = p.b;
  if (!valid_day (year, month, day))
    return PD_DATE_IMPOSSIBLE;
  format_iso (year, month, day, out);
  return PD_DATE_OK;
}

gboolean
_pd_date_is_iso (const char *text)
{
  DateParts p;
  gsize len;

  if (text == NULL)
    return FALSE;
  len = strlen (text);
  return len == 10 && text[4] == '-' && text[7] == '-' && split_date (text, len, &p)
         && p.year_first && valid_day (p.a, p.b, p.c);
}

void
_pd_date_today (char out[11])
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  format_iso (g_date_time_get_year (now), g_date_time_get_month (now),
              g_date_time_get_day_of_month (now), out);
}

const char *
_pd_date_order_to_string (PdDateOrder order)
{
  switch (order)
    {
    case PD_DATE_ORDER_YMD:
      return "ymd";
    case PD_DATE_ORDER_MDY:
      return "mdy";
    case PD_DATE_ORDER_DMY:
      return "dmy";
    case PD_DATE_ORDER_AUTO:
    default:
      return NULL;
    }
}

PdDateOrder
_pd_date_order_from_string (const char *text)
{
  if (g_strcmp0 (text, "ymd") == 0)
    return PD_DATE_ORDER_YMD;
  if (g_strcmp0 (text, "mdy") == 0)
    return PD_DATE_ORDER_MDY;
  if (g_strcmp0 (text, "dmy") == 0)
    return PD_DATE_ORDER_DMY;
  return PD_DATE_ORDER_AUTO;
}

/* Record rules (the store's validation of a person typed into a form). */

void
_pd_record_check_dates (PdRecord   *record,
                        GHashTable *errors)
{
  const PdRecordType *type = pd_record_get_record_type (record);

  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *f = &type->fields[i];
      const char *text;
      g_autofree char *stripped = NULL;
      DateParts p;

      if (!(f->flags & PD_FIELD_FLAG_DATE) || g_hash_table_contains (errors, f->name))
        continue;
      text = pd_record_get_string (record, f->name);
      if (text == NULL)
        continue;
      stripped = g_strstrip (g_strdup (text));
      if (*stripped == '\0' || _pd_date_is_iso (stripped))
        continue;
      if (strlen (stripped) == 10 && split_date (stripped, 10, &p) && p.year_first)
        g_hash_table_insert (errors, (gpointer) f->name,
                             /* TRANSLATORS: %s is a date as typed, 2023-02-30 */
                             g_strdup_printf (_("The date %s does not exist"), stripped));
      else
        g_hash_table_insert (errors, (gpointer) f->name,
                             g_strdup (_("Enter a date like 2024-01-31")));
    }
}

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (; *text; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

void
_pd_person_check_rules (PdRecord   *person,
                        GHashTable *errors)
{
  const char *dob = pd_record_get_string (person, "date_of_birth");
  const char *start = pd_record_get_string (person, "coverage_start");
  const char *end = pd_record_get_string (person, "coverage_end");
  const char *relationship = pd_record_get_string (person, "relationship");
  const char *employee = pd_record_get_string (person, "employee_member_id");
  char today[11];

  _pd_date_today (today);
  if (!g_hash_table_contains (errors, "date_of_birth") && _pd_date_is_iso (dob)
      && strcmp (dob, today) > 0)
    g_hash_table_insert (errors, (gpointer) "date_of_birth",
                         g_strdup (_("The date of birth is in the future")));
  if (!g_hash_table_contains (errors, "coverage_end") && _pd_date_is_iso (start)
      && _pd_date_is_iso (end) && strcmp (end, start) < 0)
    g_hash_table_insert (errors, (gpointer) "coverage_end",
                         g_strdup (_("Coverage cannot end before it starts")));
  if (!g_hash_table_contains (errors, "employee_member_id") && relationship
      && strcmp (relationship, "employee") != 0
      && is_blank (employee))
    g_hash_table_insert (errors, (gpointer) "employee_member_id",
                         g_strdup (_("A dependent needs the member ID of their employee")));
}
