/* pd-record.c: a record of any described type: values, text forms, validation, keys and JSON. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <string.h>

#include "pd-error.h"
#include "pd-money.h"
#include "pd-record-private.h"

typedef struct {
  gboolean set;
  gint64   num;  /* INT, MONEY, PERCENT, BOOL */
  char    *str;  /* TEXT, ENUM, REF, TIMESTAMP */
  char   **strv; /* REF_LIST */
} PdValue;

struct _PdRecord
{
  GObject parent_instance;

  const PdRecordType *type;
  char               *id;
  gint64              version;
  char               *created_at;
  char               *updated_at;
  char               *updated_by;
  gboolean            deleted;
  PdValue            *values;
  char               *search_key;
  char               *sort_key;
};

G_DEFINE_FINAL_TYPE (PdRecord, pd_record, G_TYPE_OBJECT)

static const char *empty_strv[] = { NULL };

static gboolean
type_is_number (PdFieldType type)
{
  return type == PD_FIELD_INT || type == PD_FIELD_MONEY || type == PD_FIELD_PERCENT
         || type == PD_FIELD_BOOL;
}

static gboolean
type_is_string (PdFieldType type)
{
  return type == PD_FIELD_TEXT || type == PD_FIELD_ENUM || type == PD_FIELD_REF
         || type == PD_FIELD_TIMESTAMP;
}

static void
value_clear (PdValue *value)
{
  g_clear_pointer (&value->str, g_free);
  g_clear_pointer (&value->strv, g_strfreev);
  value->num = 0;
  value->set = FALSE;
}

static void
value_copy (PdValue       *dest,
            const PdValue *src)
{
  value_clear (dest);
  dest->set = src->set;
  dest->num = src->num;
  dest->str = g_strdup (src->str);
  dest->strv = g_strdupv (src->strv);
}

static void
pd_record_finalize (GObject *object)
{
  PdRecord *self = PD_RECORD (object);

  for (guint i = 0; i < self->type->n_fields; i++)
    value_clear (&self->values[i]);
  g_free (self->values);
  g_free (self->id);
  g_free (self->created_at);
  g_free (self->updated_at);
  g_free (self->updated_by);
  g_free (self->search_key);
  g_free (self->sort_key);
  G_OBJECT_CLASS (pd_record_parent_class)->finalize (object);
}

static void
pd_record_class_init (PdRecordClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pd_record_finalize;
}

static void
pd_record_init (PdRecord *self)
{
}

static void
invalidate_keys (PdRecord *self)
{
  g_clear_pointer (&self->search_key, g_free);
  g_clear_pointer (&self->sort_key, g_free);
}

PdRecord *
_pd_record_new_empty (const PdRecordType *type)
{
  PdRecord *self = g_object_new (PD_TYPE_RECORD, NULL);

  self->type = type;
  self->values = g_new0 (PdValue, type->n_fields);
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].type == PD_FIELD_BOOL)
      self->values[i].set = TRUE;
  return self;
}

PdRecord *
pd_record_new (const PdRecordType *type)
{
  PdRecord *self;

  g_return_val_if_fail (type != NULL, NULL);

  self = _pd_record_new_empty (type);
  self->id = pd_uuid_new ();
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].type == PD_FIELD_ENUM && type->fields[i].choices)
      {
        self->values[i].set = TRUE;
        self->values[i].str = g_strdup (type->fields[i].choices[0].nick);
      }
  return self;
}

void
_pd_record_assign (PdRecord *dest,
                   PdRecord *src)
{
  g_return_if_fail (dest->type == src->type);

  if (dest == src)
    return;
  for (guint i = 0; i < src->type->n_fields; i++)
    value_copy (&dest->values[i], &src->values[i]);
  _pd_record_set_meta (dest, src->id, src->version, src->created_at, src->updated_at,
                       src->updated_by, src->deleted);
  invalidate_keys (dest);
}

PdRecord *
pd_record_copy (PdRecord *self)
{
  PdRecord *copy;

  g_return_val_if_fail (PD_IS_RECORD (self), NULL);

  copy = _pd_record_new_empty (self->type);
  _pd_record_assign (copy, self);
  return copy;
}

const PdRecordType *
pd_record_get_record_type (PdRecord *self)
{
  g_return_val_if_fail (PD_IS_RECORD (self), NULL);
  return self->type;
}

const char *
pd_record_get_id (PdRecord *self)
{
  g_return_val_if_fail (PD_IS_RECORD (self), NULL);
  return self->id;
}

gint64
pd_record_get_version (PdRecord *self)
{
  g_return_val_if_fail (PD_IS_RECORD (self), 0);
  return self->version;
}

const char *
pd_record_get_created_at (PdRecord *self)
{
  g_return_val_if_fail (PD_IS_RECORD (self), NULL);
  return self->created_at;
}

const char *
pd_record_get_updated_at (PdRecord *self)
{
  g_return_val_if_fail (PD_IS_RECORD (self), NULL);
  return self->updated_at;
}

const char *
pd_record_get_updated_by (PdRecord *self)
{
  g_return_val_if_fail (PD_IS_RECORD (self), NULL);
  return self->updated_by;
}

gboolean
pd_record_get_deleted (PdRecord *self)
{
  g_return_val_if_fail (PD_IS_RECORD (self), FALSE);
  return self->deleted;
}

static void
replace_string (char       **slot,
                const char  *value)
{
  if (*slot == value)
    return;
  g_free (*slot);
  *slot = g_strdup (value);
}

void
_pd_record_set_meta (PdRecord   *self,
                     const char *id,
                     gint64      version,
                     const char *created_at,
                     const char *updated_at,
                     const char *updated_by,
                     gboolean    deleted)
{
  g_return_if_fail (PD_IS_RECORD (self));

  replace_string (&self->id, id);
  self->version = version;
  replace_string (&self->created_at, created_at);
  replace_string (&self->updated_at, updated_at);
  replace_string (&self->updated_by, updated_by);
  self->deleted = deleted;
}

gint
_pd_record_type_field_index (const PdRecordType *type,
                             const char         *name)
{
  for (guint i = 0; i < type->n_fields; i++)
    if (strcmp (type->fields[i].name, name) == 0)
      return (gint) i;
  return -1;
}

/* The value slot of FIELD, or NULL with a critical when FIELD does not exist
 * or is not of one of the types in TYPES (a bit mask of 1 << PdFieldType). */
static PdValue *
lookup (PdRecord       *self,
        const char     *field,
        guint           types,
        const PdField **out_field)
{
  gint i;

  g_return_val_if_fail (PD_IS_RECORD (self), NULL);
  g_return_val_if_fail (field != NULL, NULL);

  i = _pd_record_type_field_index (self->type, field);
  if (i < 0)
    {
      g_critical ("%s has no field “%s”", self->type->name, field);
      return NULL;
    }
  if (types != 0 && (types & (1u << self->type->fields[i].type)) == 0)
    {
      g_critical ("Field “%s” of %s has another type", field, self->type->name);
      return NULL;
    }
  if (out_field)
    *out_field = &self->type->fields[i];
  return &self->values[i];
}

#define STRING_TYPES ((1u << PD_FIELD_TEXT) | (1u << PD_FIELD_ENUM) | (1u << PD_FIELD_REF) \
                      | (1u << PD_FIELD_TIMESTAMP))
#define NUMBER_TYPES ((1u << PD_FIELD_INT) | (1u << PD_FIELD_MONEY) | (1u << PD_FIELD_PERCENT) \
                      | (1u << PD_FIELD_BOOL))

gboolean
pd_record_is_set (PdRecord   *self,
                  const char *field)
{
  PdValue *v = lookup (self, field, 0, NULL);

  return v != NULL && v->set;
}

static void
value_unset (PdValue       *v,
             const PdField *f)
{
  value_clear (v);
  if (f->type == PD_FIELD_BOOL)
    v->set = TRUE;
}

void
pd_record_unset (PdRecord   *self,
                 const char *field)
{
  const PdField *f = NULL;
  PdValue *v = lookup (self, field, 0, &f);

  if (v == NULL)
    return;
  value_unset (v, f);
  invalidate_keys (self);
}

const char *
pd_record_get_string (PdRecord   *self,
                      const char *field)
{
  PdValue *v = lookup (self, field, STRING_TYPES, NULL);

  return v ? v->str : NULL;
}

void
pd_record_set_string (PdRecord   *self,
                      const char *field,
                      const char *value)
{
  PdValue *v = lookup (self, field, STRING_TYPES, NULL);

  if (v == NULL)
    return;
  if (value == NULL || *value == '\0')
    {
      value_clear (v);
    }
  else if (g_strcmp0 (v->str, value) != 0)
    {
      replace_string (&v->str, value);
      v->set = TRUE;
    }
  invalidate_keys (self);
}

gint64
pd_record_get_int (PdRecord   *self,
                   const char *field)
{
  PdValue *v = lookup (self, field, NUMBER_TYPES, NULL);

  return v ? v->num : 0;
}

void
pd_record_set_int (PdRecord   *self,
                   const char *field,
                   gint64      value)
{
  const PdField *f = NULL;
  PdValue *v = lookup (self, field, NUMBER_TYPES, &f);

  if (v == NULL)
    return;
  v->num = (f->type == PD_FIELD_BOOL) ? (value != 0) : value;
  v->set = TRUE;
}

gboolean
pd_record_get_bool (PdRecord   *self,
                    const char *field)
{
  PdValue *v = lookup (self, field, 1u << PD_FIELD_BOOL, NULL);

  return v ? v->num != 0 : FALSE;
}

void
pd_record_set_bool (PdRecord   *self,
                    const char *field,
                    gboolean    value)
{
  PdValue *v = lookup (self, field, 1u << PD_FIELD_BOOL, NULL);

  if (v == NULL)
    return;
  v->num = value ? 1 : 0;
  v->set = TRUE;
}

const char * const *
pd_record_get_strv (PdRecord   *self,
                    const char *field)
{
  PdValue *v = lookup (self, field, 1u << PD_FIELD_REF_LIST, NULL);

  if (v == NULL || v->strv == NULL)
    return empty_strv;
  return (const char * const *) v->strv;
}

void
pd_record_set_strv (PdRecord           *self,
                    const char         *field,
                    const char * const *value)
{
  PdValue *v = lookup (self, field, 1u << PD_FIELD_REF_LIST, NULL);

  if (v == NULL)
    return;
  value_clear (v);
  if (value != NULL && value[0] != NULL)
    {
      v->strv = g_strdupv ((char **) value);
      v->set = TRUE;
    }
}

void
_pd_record_load_int (PdRecord *self,
                     guint     index,
                     gint64    value)
{
  self->values[index].num = value;
  self->values[index].set = TRUE;
}

void
_pd_record_load_string (PdRecord   *self,
                        guint       index,
                        const char *value)
{
  PdValue *v = &self->values[index];

  value_clear (v);
  if (value == NULL || *value == '\0')
    return;
  if (self->type->fields[index].type == PD_FIELD_REF_LIST)
    v->strv = _pd_strv_from_json (value);
  else
    v->str = g_strdup (value);
  v->set = v->str != NULL || (v->strv != NULL && v->strv[0] != NULL);
}

/* REF_LIST canonical text: a JSON array of strings. */
char *
_pd_strv_to_json (const char * const *strv)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; strv && strv[i]; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '"');
      for (const char *p = strv[i]; *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (out, '\\');
          if ((guchar) *p < 0x20)
            g_string_append_printf (out, "\\u%04x", (guint) *p);
          else
            g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

static char **
strv_from_json_slow (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  JsonNode *root;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_ptr_array_foreach (items, (GFunc) (void (*) (void)) g_free, NULL);
          return NULL;
        }
      g_ptr_array_add (items, g_strdup (json_node_get_string (node)));
    }
  g_ptr_array_add (items, NULL);
  return (char **) g_ptr_array_steal (items, NULL);
}

/* Fast path for the common case (ids without escapes); NULL if TEXT is not a JSON string array. */
char **
_pd_strv_from_json (const char *text)
{
  g_autoptr(GPtrArray) items = NULL;
  const char *p = text;

  if (text == NULL)
    return NULL;
  if (strchr (text, '\\') != NULL)
    return strv_from_json_slow (text);
  items = g_ptr_array_new ();
  while (g_ascii_isspace (*p))
    p++;
  if (*p++ != '[')
    goto fail;
  while (g_ascii_isspace (*p))
    p++;
  while (*p == '"')
    {
      const char *end = strchr (p + 1, '"');

      if (end == NULL)
        goto fail;
      g_ptr_array_add (items, g_strndup (p + 1, end - p - 1));
      p = end + 1;
      while (g_ascii_isspace (*p))
        p++;
      if (*p == ',')
        {
          p++;
          while (g_ascii_isspace (*p))
            p++;
          if (*p != '"')
            goto fail;
        }
    }
  if (*p++ != ']')
    goto fail;
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0')
    goto fail;
  g_ptr_array_add (items, NULL);
  return (char **) g_ptr_array_steal (items, NULL);

fail:
  g_ptr_array_foreach (items, (GFunc) (void (*) (void)) g_free, NULL);
  return NULL;
}

static char *
value_canonical (const PdField *f,
                 const PdValue *v)
{
  if (!v->set)
    return NULL;
  if (type_is_number (f->type))
    return g_strdup_printf ("%" G_GINT64_FORMAT, v->num);
  if (f->type == PD_FIELD_REF_LIST)
    return _pd_strv_to_json ((const char * const *) v->strv);
  return g_strdup (v->str);
}

char *
pd_record_dup_canonical (PdRecord   *self,
                         const char *field)
{
  const PdField *f = NULL;
  PdValue *v = lookup (self, field, 0, &f);

  return v ? value_canonical (f, v) : NULL;
}

static gboolean
is_choice (const PdField *f,
           const char    *nick)
{
  return pd_field_choice_label (f, nick) != NULL;
}

static gboolean
is_timestamp (const char *text)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);

  return dt != NULL;
}

/* Parses canonical TEXT of F into V (cleared first). */
static gboolean
value_parse_canonical (const PdField *f,
                       const char    *text,
                       PdValue       *v)
{
  gint64 num;

  value_unset (v, f);
  if (text == NULL || (*text == '\0' && f->type != PD_FIELD_BOOL))
    return TRUE;
  switch (f->type)
    {
    case PD_FIELD_BOOL:
      if (g_strcmp0 (text, "1") == 0 || g_strcmp0 (text, "true") == 0)
        v->num = 1;
      else if (!(g_strcmp0 (text, "0") == 0 || g_strcmp0 (text, "false") == 0))
        return FALSE;
      return TRUE;
    case PD_FIELD_INT:
    case PD_FIELD_MONEY:
    case PD_FIELD_PERCENT:
      if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &num, NULL))
        return FALSE;
      v->num = num;
      break;
    case PD_FIELD_REF_LIST:
      v->strv = _pd_strv_from_json (text);
      if (v->strv == NULL)
        return FALSE;
      if (v->strv[0] == NULL)
        g_clear_pointer (&v->strv, g_strfreev);
      v->set = v->strv != NULL;
      return TRUE;
    case PD_FIELD_ENUM:
      if (!is_choice (f, text))
        return FALSE;
      v->str = g_strdup (text);
      break;
    case PD_FIELD_TIMESTAMP:
      if (!is_timestamp (text))
        return FALSE;
      v->str = g_strdup (text);
      break;
    case PD_FIELD_TEXT:
    case PD_FIELD_REF:
    default:
      v->str = g_strdup (text);
      break;
    }
  v->set = TRUE;
  return TRUE;
}

gboolean
pd_record_set_canonical (PdRecord   *self,
                         const char *field,
                         const char *text)
{
  const PdField *f = NULL;
  PdValue *v = lookup (self, field, 0, &f);
  PdValue parsed = { 0 };

  if (v == NULL)
    return FALSE;
  if (!value_parse_canonical (f, text, &parsed))
    {
      value_clear (&parsed);
      return FALSE;
    }
  value_clear (v);
  *v = parsed;
  invalidate_keys (self);
  return TRUE;
}

static char *
format_timestamp (const char *text)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);
  g_autoptr(GDateTime) local = NULL;

  if (dt == NULL)
    return g_strdup (text);
  local = g_date_time_to_local (dt);
  /* TRANSLATORS: g_date_time_format() format of a date and time in lists and history */
  return g_date_time_format (local, C_("timestamp", "%Y-%m-%d %H:%M"));
}

static char *
value_format (const PdField *f,
              const PdValue *v)
{
  const char *label;

  if (!v->set)
    return NULL;
  switch (f->type)
    {
    case PD_FIELD_BOOL:
      return g_strdup (v->num ? _("Yes") : _("No"));
    case PD_FIELD_INT:
      return pd_number_format (v->num);
    case PD_FIELD_MONEY:
      return pd_money_format (v->num, pd_money_get_currency ());
    case PD_FIELD_PERCENT:
      return pd_percent_format (v->num);
    case PD_FIELD_ENUM:
      label = pd_field_choice_label (f, v->str);
      return g_strdup (label ? label : v->str);
    case PD_FIELD_TIMESTAMP:
      return format_timestamp (v->str);
    case PD_FIELD_REF_LIST:
      return g_strjoinv (", ", v->strv);
    case PD_FIELD_TEXT:
    case PD_FIELD_REF:
    default:
      return g_strdup (v->str);
    }
}

char *
pd_field_format_text (const PdField *field,
                      const char    *canonical)
{
  PdValue v = { 0 };
  char *text;

  g_return_val_if_fail (field != NULL, NULL);

  if (canonical == NULL)
    return NULL;
  if (!value_parse_canonical (field, canonical, &v))
    {
      value_clear (&v);
      return g_strdup (canonical);
    }
  text = value_format (field, &v);
  value_clear (&v);
  return text;
}

char *
pd_record_format (PdRecord   *self,
                  const char *field)
{
  const PdField *f = NULL;
  PdValue *v = lookup (self, field, 0, &f);

  return v ? value_format (f, v) : NULL;
}

char *
pd_record_get_edit_text (PdRecord   *self,
                         const char *field)
{
  const PdField *f = NULL;
  PdValue *v = lookup (self, field, 0, &f);

  if (v == NULL || !v->set)
    return g_strdup ("");
  switch (f->type)
    {
    case PD_FIELD_MONEY:
      return pd_money_format_edit (v->num);
    case PD_FIELD_PERCENT:
      return pd_percent_format_edit (v->num);
    default:
      return value_canonical (f, v);
    }
}

static gboolean
parse_whole_number (const char *text,
                    gint64     *value)
{
  g_autofree char *s = g_strstrip (g_strdup (text));

  if (*s == '\0' || strlen (s) > 15)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  *value = g_ascii_strtoll (s, NULL, 10);
  return TRUE;
}

/* Parses user TEXT of F into V; FALSE with *MESSAGE on failure. */
static gboolean
value_parse_user (const PdField  *f,
                  const char     *text,
                  PdValue        *v,
                  char          **message)
{
  gint64 num = 0;

  value_unset (v, f);
  if (text == NULL || *text == '\0')
    return TRUE;
  switch (f->type)
    {
    case PD_FIELD_INT:
      if (!parse_whole_number (text, &num))
        {
          *message = g_strdup (_("Enter a whole number of 0 or more"));
          return FALSE;
        }
      break;
    case PD_FIELD_MONEY:
      if (!pd_money_parse (text, &num, message))
        return FALSE;
      break;
    case PD_FIELD_PERCENT:
      if (!pd_percent_parse (text, &num, message))
        return FALSE;
      break;
    case PD_FIELD_BOOL:
    case PD_FIELD_ENUM:
    case PD_FIELD_REF_LIST:
    case PD_FIELD_TIMESTAMP:
      if (!value_parse_canonical (f, text, v))
        {
          *message = g_strdup (f->type == PD_FIELD_ENUM
                                 ? _("Choose one of the offered values")
                                 : _("This value is not valid here"));
          return FALSE;
        }
      return TRUE;
    case PD_FIELD_TEXT:
    case PD_FIELD_REF:
    default:
      v->str = g_strdup (text);
      v->set = TRUE;
      return TRUE;
    }
  v->num = num;
  v->set = TRUE;
  return TRUE;
}

gboolean
pd_record_set_from_text (PdRecord    *self,
                         const char  *field,
                         const char  *text,
                         char       **message)
{
  const PdField *f = NULL;
  PdValue *v = lookup (self, field, 0, &f);
  PdValue parsed = { 0 };
  g_autofree char *reason = NULL;

  if (v == NULL)
    return FALSE;
  if (!value_parse_user (f, text, &parsed, &reason))
    {
      value_clear (&parsed);
      if (message)
        *message = g_steal_pointer (&reason);
      return FALSE;
    }
  value_clear (v);
  *v = parsed;
  invalidate_keys (self);
  return TRUE;
}

gboolean
pd_record_field_equal (PdRecord   *a,
                       PdRecord   *b,
                       const char *field)
{
  g_autofree char *ca = pd_record_dup_canonical (a, field);
  g_autofree char *cb = pd_record_dup_canonical (b, field);

  return g_strcmp0 (ca, cb) == 0;
}

gboolean
pd_record_field_applies (PdRecord      *self,
                         const PdField *field)
{
  const char *value;

  g_return_val_if_fail (PD_IS_RECORD (self), FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if (field->only_if == NULL)
    return TRUE;
  value = pd_record_get_string (self, field->only_if);
  return g_strcmp0 (value, field->only_if_value) == 0;
}

static gboolean
text_is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* The first rule FIELD breaks in V, or NULL. */
static char *
value_check (const PdField *f,
             const PdValue *v)
{
  g_autofree char *stripped = NULL;

  if (f->flags & PD_FIELD_FLAG_REQUIRED)
    {
      gboolean missing = !v->set
                         || (type_is_string (f->type) && text_is_blank (v->str));

      if (missing)
        /* TRANSLATORS: %s is a field label, "Company name is required" */
        return g_strdup_printf (_("%s is required"), _(f->label));
    }
  if (!v->set)
    return NULL;
  stripped = v->str ? g_strstrip (g_strdup (v->str)) : NULL;
  if ((f->flags & PD_FIELD_FLAG_EMAIL) && *stripped && !pd_email_is_valid (stripped))
    return g_strdup (_("Enter an email address like name@example.com"));
  if ((f->flags & PD_FIELD_FLAG_LINKEDIN) && *stripped && !pd_linkedin_url_is_valid (stripped))
    return g_strdup (_("Enter an https://www.linkedin.com/… address"));
  switch (f->type)
    {
    case PD_FIELD_INT:
      if (v->num < 0)
        /* TRANSLATORS: %s is a field label, "Employee count must be ..." */
        return g_strdup_printf (_("%s must be a whole number of 0 or more"), _(f->label));
      break;
    case PD_FIELD_PERCENT:
      if (v->num < 0 || v->num > 10000)
        return g_strdup (_("Enter a percentage from 0 to 100 with at most two decimals"));
      break;
    case PD_FIELD_MONEY:
      if (v->num < 0)
        return g_strdup (_("Enter an amount of 0 or more with at most two decimals"));
      break;
    case PD_FIELD_ENUM:
      if (!is_choice (f, v->str))
        return g_strdup (_("Choose one of the offered values"));
      break;
    case PD_FIELD_TIMESTAMP:
      if (!is_timestamp (v->str))
        return g_strdup (_("Enter a date and time like 2026-11-24T05:05:37Z"));
      break;
    default:
      break;
    }
  return NULL;
}

GHashTable *
pd_record_validate (PdRecord *self)
{
  GHashTable *errors;

  g_return_val_if_fail (PD_IS_RECORD (self), NULL);

  errors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < self->type->n_fields; i++)
    {
      const PdField *f = &self->type->fields[i];
      char *message;

      if (!pd_record_field_applies (self, f))
        continue;
      message = value_check (f, &self->values[i]);
      if (message)
        g_hash_table_insert (errors, (gpointer) f->name, message);
    }
  return errors;
}

const char *
pd_record_get_title (PdRecord *self)
{
  gint i;

  g_return_val_if_fail (PD_IS_RECORD (self), "");

  i = _pd_record_type_field_index (self->type, self->type->title_field);
  if (i < 0 || self->values[i].str == NULL)
    return "";
  return self->values[i].str;
}

char *
pd_text_fold (const char *text)
{
  g_autofree char *normalized = NULL;

  if (text == NULL)
    return g_strdup ("");
  /* Most names are ASCII: lower-casing is their case fold, and much faster. */
  for (const char *p = text;; p++)
    {
      if (*p == '\0')
        return g_ascii_strdown (text, -1);
      if ((guchar) *p >= 0x80)
        break;
    }
  normalized = g_utf8_normalize (text, -1, G_NORMALIZE_DEFAULT_COMPOSE);
  if (normalized == NULL)
    return g_strdup ("");
  return g_utf8_casefold (normalized, -1);
}

const char *
pd_record_get_search_key (PdRecord *self)
{
  GString *key;

  g_return_val_if_fail (PD_IS_RECORD (self), "");

  if (self->search_key)
    return self->search_key;
  key = g_string_new (NULL);
  for (guint i = 0; i < self->type->n_fields; i++)
    {
      g_autofree char *folded = NULL;

      if (!(self->type->fields[i].flags & PD_FIELD_FLAG_SEARCHABLE) || !self->values[i].str)
        continue;
      folded = pd_text_fold (self->values[i].str);
      if (key->len > 0)
        g_string_append_c (key, '\n');
      g_string_append (key, folded);
    }
  self->search_key = g_string_free (key, FALSE);
  return self->search_key;
}

/* The C locale collates by code point, which puts "Ärztehaus" after "Zeta";
 * there we sort by the transliterated name first, the way people read it. */
static gboolean
collation_is_c (void)
{
  const char *collate = setlocale (LC_COLLATE, NULL);

  return collate == NULL || g_str_equal (collate, "C") || g_str_equal (collate, "POSIX")
         || g_str_has_prefix (collate, "C.");
}

static char *
collate_key (const char *folded)
{
  g_autofree char *ascii = NULL;
  g_autofree char *key = NULL;

  for (const char *p = folded;; p++)
    {
      if (*p == '\0')
        return g_utf8_collate_key (folded, -1);
      if ((guchar) *p >= 0x80)
        break;
    }
  key = g_utf8_collate_key (folded, -1);
  if (!collation_is_c ())
    return g_steal_pointer (&key);
  ascii = g_str_to_ascii (folded, "C");
  return g_strconcat (ascii, "\001", key, NULL);
}

const char *
pd_record_get_sort_key (PdRecord *self)
{
  g_autofree char *folded = NULL;

  g_return_val_if_fail (PD_IS_RECORD (self), "");

  if (self->sort_key)
    return self->sort_key;
  folded = pd_text_fold (pd_record_get_title (self));
  self->sort_key = collate_key (folded);
  return self->sort_key;
}

JsonObject *
pd_record_to_json (PdRecord *self)
{
  JsonObject *o;

  g_return_val_if_fail (PD_IS_RECORD (self), NULL);

  o = json_object_new ();
  json_object_set_string_member (o, "id", self->id);
  json_object_set_int_member (o, "version", self->version);
  json_object_set_string_member (o, "created_at", self->created_at);
  json_object_set_string_member (o, "updated_at", self->updated_at);
  json_object_set_string_member (o, "updated_by", self->updated_by);
  json_object_set_boolean_member (o, "deleted", self->deleted);
  for (guint i = 0; i < self->type->n_fields; i++)
    {
      const PdField *f = &self->type->fields[i];
      const PdValue *v = &self->values[i];

      if (!v->set)
        json_object_set_null_member (o, f->name);
      else if (f->type == PD_FIELD_BOOL)
        json_object_set_boolean_member (o, f->name, v->num != 0);
      else if (type_is_number (f->type))
        json_object_set_int_member (o, f->name, v->num);
      else if (f->type == PD_FIELD_REF_LIST)
        {
          JsonArray *a = json_array_new ();

          for (guint j = 0; v->strv[j]; j++)
            json_array_add_string_element (a, v->strv[j]);
          json_object_set_array_member (o, f->name, a);
        }
      else
        json_object_set_string_member (o, f->name, v->str);
    }
  return o;
}

/* Reads member F of O into V; FALSE when it has the wrong JSON type. */
static gboolean
value_from_json (const PdField *f,
                 JsonNode      *node,
                 PdValue       *v)
{
  GType vt;

  value_unset (v, f);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (f->type == PD_FIELD_REF_LIST)
    {
      JsonArray *a;
      guint n;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return FALSE;
      a = json_node_get_array (node);
      n = json_array_get_length (a);
      if (n == 0)
        return TRUE;
      v->strv = g_new0 (char *, n + 1);
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (a, i);

          if (json_node_get_value_type (e) != G_TYPE_STRING)
            return FALSE;
          v->strv[i] = g_strdup (json_node_get_string (e));
        }
      v->set = TRUE;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  vt = json_node_get_value_type (node);
  if (type_is_number (f->type))
    {
      if (vt != G_TYPE_INT64 && vt != G_TYPE_BOOLEAN)
        return FALSE;
      v->num = vt == G_TYPE_BOOLEAN ? json_node_get_boolean (node) : json_node_get_int (node);
      if (f->type == PD_FIELD_BOOL)
        v->num = v->num != 0;
      v->set = TRUE;
      return TRUE;
    }
  if (vt != G_TYPE_STRING)
    return FALSE;
  v->str = g_strdup (json_node_get_string (node));
  v->set = *v->str != '\0';
  if (!v->set)
    g_clear_pointer (&v->str, g_free);
  return TRUE;
}

PdRecord *
pd_record_new_from_json (const PdRecordType *type,
                         JsonObject         *object,
                         GError            **error)
{
  g_autoptr(PdRecord) self = NULL;
  const char *id;

  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (object != NULL, NULL);

  id = json_object_get_string_member_with_default (object, "id", NULL);
  if (id == NULL || *id == '\0')
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID, _("The record has no id"));
      return NULL;
    }
  self = _pd_record_new_empty (type);
  _pd_record_set_meta (self, id,
                       json_object_get_int_member_with_default (object, "version", 0),
                       json_object_get_string_member_with_default (object, "created_at", NULL),
                       json_object_get_string_member_with_default (object, "updated_at", NULL),
                       json_object_get_string_member_with_default (object, "updated_by", NULL),
                       json_object_get_boolean_member_with_default (object, "deleted", FALSE));
  for (guint i = 0; i < type->n_fields; i++)
    {
      const PdField *f = &type->fields[i];

      if (!value_from_json (f, json_object_get_member (object, f->name), &self->values[i]))
        {
          g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                       _("The value of “%s” has the wrong type"), f->name);
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

/* Record ids and change-log keys in time order (RFC 9562 version 7: 48-bit Unix
 * milliseconds, then a 12-bit counter so that ids of the same millisecond still increase,
 * then 62 random bits): new rows append to the id indexes instead of landing at random
 * places in them. Not for secrets (tokens use their own generator). */
char *
pd_uuid_new (void)
{
  static const char hex[] = "0123456789abcdef";
  static GMutex lock;
  static guint64 last_ms;
  static guint counter;
  guint64 ms = (guint64) (g_get_real_time () / 1000);
  guint32 r0 = g_random_int (), r1 = g_random_int ();
  guint8 b[16];
  char *out = g_malloc (37);
  int k = 0;

  g_mutex_lock (&lock);
  if (ms > last_ms)
    {
      last_ms = ms;
      counter = r0 >> 22; /* a random start below 2^10 leaves room for a burst */
    }
  else if (++counter > 0xfff)
    {
      last_ms++; /* clock went back, or 4096 ids in one millisecond */
      counter = 0;
    }
  ms = last_ms;
  b[6] = 0x70 | (guint8) (counter >> 8);
  b[7] = (guint8) counter;
  g_mutex_unlock (&lock);
  for (int i = 0; i < 6; i++)
    b[i] = (guint8) (ms >> (40 - 8 * i));
  b[8] = 0x80 | (guint8) (r0 & 0x3f);
  b[9] = (guint8) (r0 >> 6);
  b[10] = (guint8) (r0 >> 14);
  for (int i = 11; i < 15; i++)
    b[i] = (guint8) (r1 >> (8 * (i - 11)));
  b[15] = (guint8) g_random_int ();
  for (int i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        out[k++] = '-';
      out[k++] = hex[b[i] >> 4];
      out[k++] = hex[b[i] & 15];
    }
  out[k] = '\0';
  return out;
}

char *
pd_timestamp_format_local (const char *iso)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (iso == NULL || *iso == '\0')
    return NULL;
  utc = g_date_time_new_from_iso8601 (iso, NULL);
  if (utc == NULL)
    return g_strdup (iso);
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%x %X");
}

char *
pd_timestamp_now (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

char *
_pd_record_dup_canonical_index (PdRecord *self,
                                guint     index)
{
  return value_canonical (&self->type->fields[index], &self->values[index]);
}

gboolean
_pd_record_is_set_index (PdRecord *self,
                         guint     index)
{
  return self->values[index].set;
}

gint64
_pd_record_get_int_index (PdRecord *self,
                          guint     index)
{
  return self->values[index].num;
}

const char *
_pd_record_get_string_index (PdRecord *self,
                             guint     index)
{
  return self->values[index].str;
}
