/* pd-import.c: the eligibility import engine: one streaming pass (two when it must), bulk writes in one transaction. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include "pd-error.h"
#include "pd-import-private.h"
#include "pd-money.h"
#include "pd-people-query.h"
#include "pd-record-private.h"
#include "pd-store-private.h"

/* The person fields by position in pd_person_type (checked once at run time). */
enum {
  P_PARTNER, P_MEMBER, P_GROUP, P_FIRST, P_LAST, P_DISPLAY, P_DOB, P_REL, P_EMP, P_CSTART,
  P_CEND, P_ELIG, P_ENROLL, P_EMAIL, P_PHONE, P_STREET, P_CITY, P_STATE, P_POSTAL, P_UPLOAD,
  P_N
};

static const int target_field[N_TARGETS] = {
  -1, P_MEMBER, P_GROUP, P_FIRST, P_LAST, P_DOB, P_REL, P_EMP, P_CSTART, P_CEND, P_ELIG,
  P_ENROLL, P_EMAIL, P_PHONE, P_STREET, P_CITY, P_STATE, P_POSTAL,
};

#define MAX_REJECTIONS 100000
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 20)

typedef struct {
  const char *s;   /* NULL: unset */
  gsize       len;
} Cell;

/* Open addressing set of 64-bit hashes with a line each (0 is the empty slot); a slot's
 * hash and line share a cache line (a million-row file misses the cache on every add). */
typedef struct {
  guint64 hash;
  guint   line;
} HashSlot;

typedef struct {
  HashSlot *slot;
  gsize     mask;
  gsize     used;
} HashSet;

/* Multi-row INSERTs: one statement per BATCH_ROWS rows (its setup, and change_log's
 * AUTOINCREMENT bookkeeping, once per batch instead of once per row). The values are
 * copied into DATA and bound when the rows are written, JOB_ROWS at a time. */
#define BATCH_ROWS 256
#define JOB_ROWS (8 * BATCH_ROWS)

typedef struct {
  gsize  offset;  /* in data; G_MAXSIZE for NULL */
  gsize  len;     /* G_MAXSIZE for an integer in offset */
} BatchValue;

typedef struct {
  guint    n_rows;
  GString *data;
  GArray  *values; /* BatchValue */
} BatchRows;

typedef struct {
  const char *head;   /* "INSERT INTO t (a, b, c) VALUES " */
  const char *tuple;  /* "(?, 0, ?)" */
  guint       n_params;
  char       *full_sql;
  PdStmt     *full_stmt; /* prepared once; owned by the store's cache */
  BatchRows   rows;      /* being filled */
} Batch;

/* Writes the rows of new people in a thread of its own while the next ones are read
 * (a bulk import into a partner without people: rows are then read without touching the
 * database). The connection is used by one thread at a time: the importing thread waits
 * for the writer (flush_batches) before any statement of its own. */
typedef struct _Import Import;

typedef struct {
  Import    *imp;
  GThread   *thread;
  GMutex     lock;
  GCond      cond;
  BatchRows  person;  /* the job being written */
  BatchRows  change;
  gboolean   pending;
  gboolean   quit;
  GError    *error;   /* the first failure: later jobs are dropped */
} Writer;

/* The partner's live people, read in one scan of the table when they are many: per
 * person its identity key and a hash of the fields the file maps. A row of the file
 * that changes nothing (most rows of a file sent again) then costs no database access. */
typedef struct {
  guint64 key;        /* identity_key () of the stored values; 0: it has none, matches nothing */
  guint64 content;    /* content_hash () of the mapped fields */
  gint64  rowid : 56;
  guint   flags : 8;  /* KNOWN_* */
} Known;

enum {
  KNOWN_TERMINATED = 1 << 0,
  KNOWN_ELIGIBLE   = 1 << 1,
  KNOWN_ENDS_EARLY = 1 << 2, /* stored coverage ends before it starts */
};

typedef struct {
  GArray  *people;  /* Known, in rowid order */
  guint32 *slots;   /* by key: index into people + 1; 0 is empty */
  gsize    mask;
} KnownSet;

typedef struct {
  guint and_mask;     /* orders that fit every day/month date so far */
  guint n_dm;         /* dates written with the day and month first */
  guint n_mdy;
  guint n_dmy;
  guint n_dependent;  /* of them, read differently as MM/DD/YYYY and DD/MM/YYYY */
} DateScan;

typedef struct _Packer Packer; /* the upload's compressed copy, made by a thread */

/* A rejected date whose message names the expected format (fixed once the order is known). */
typedef struct {
  guint  index;  /* in result->rejections */
  char  *text;
} Hinted;

struct _Import {
  /* Borrowed References */
  PdStore               *store;
  const char            *partner_id;
  const char            *path;
  GBytes                *bytes;
  const PdImportOptions *options;
  GCancellable          *cancellable;
  PdImportProgressFunc   progress;
  gpointer               progress_data;

  /* Owned References */
  PdImportMapping *mapping;
  PdImportResult  *result;
  HashSet          keys;        /* identity keys of the file's rows -> first line */
  HashSet          employees;   /* member IDs of the file's employees */
  GHashTable      *duplicates;  /* line -> first line with the same key */
  KnownSet         known;        /* when use_known */
  DateScan         scan;
  GArray          *hinted;       /* Hinted, while the date order is provisional */
  GByteArray      *deferred;     /* rows waiting for their employee: defer_row () */
  Packer          *packer;
  guint            n_deferred;
  int              mapped[P_N];  /* the fields the file maps (not display name, upload) */
  guint            n_mapped;
  Batch            person_batch; /* new people */
  Batch            change_batch; /* their change-log entries */
  Writer          *writer;       /* bulk imports: writes them meanwhile */
  guint8          *seen;        /* bitmap by persons.rowid: listed in the file */
  gsize            seen_size;
  GString         *json;
  char            *arena;
  gsize            arena_size;
  char            *old_buf;
  gsize            old_size;
  gsize            arena_used;
  char            *ambiguous_example;
  char            *date_example;

  int         col[N_TARGETS];
  guint       n_columns;
  gboolean    dry_run;
  gboolean    partner_has_people;
  gboolean    use_known;
  gboolean    order_provisional; /* one pass: imp->order may still change */
  gboolean    mapping_given;
  guint       indexes_dropped; /* bit i: _pd_store_person_indexes[i], built at the end */
  gboolean    bulk;            /* indexes were dropped for a bulk load */
  guint       descents;        /* rows whose member ID sorts before the row above's */
  gboolean    prep_active;     /* a reading thread scans rows ahead: the row_* below hold
                                * what its sets said of the row being imported */
  guint       row_dup_first;
  gboolean    row_employee_in_file;
  gsize       prev_member_len;
  char        prev_member[48];
  PdDateOrder order;
  PdDateOrder saved_order;
  guint64     uuid_counter;
  guint64     uuid_ms;
  gint64      last_progress;
  double      progress_from;
  double      progress_to;
  const char *phase;
  gint64      eligible_before;
  gint64      max_rowid_before; /* people of later rowids are new: never "missing" */
  char        today[11];
  char        termination_date[11];
  char        now[32];

  /* Cached statements (owned by the store's cache) */
  PdStmt *stmts[8];

  /* The row being imported */
  Cell    cell[N_TARGETS];
  Cell    val[P_N];
  Cell    old[P_N + 1]; /* and old[P_N]: first_name_fold */
  gint64  old_rowid;
  gint64  old_version;
  char    old_id[64];
  char    old_created[40];
  char    dates[3][11];
  guint   line;
  gboolean row_rejected;
};

/* Hash sets */

static void
hash_set_init (HashSet *set,
               gsize    capacity)
{
  gsize size = 1024;

  while (size < capacity * 2)
    size <<= 1;
  set->slot = g_new0 (HashSlot, size);
  set->mask = size - 1;
  set->used = 0;
}

static void
hash_set_clear (HashSet *set)
{
  g_clear_pointer (&set->slot, g_free);
}

static void hash_set_add (HashSet *set, guint64 hash, guint line, guint *existing);

/* Room for CAPACITY hashes without growing again. */
static void
hash_set_reserve (HashSet *set,
                  gsize    capacity)
{
  HashSet bigger;

  if (capacity * 2 <= set->mask + 1)
    return;
  hash_set_init (&bigger, capacity);
  for (gsize i = 0; i <= set->mask; i++)
    if (set->slot[i].hash)
      hash_set_add (&bigger, set->slot[i].hash, set->slot[i].line, NULL);
  hash_set_clear (set);
  *set = bigger;
}

/* Adds HASH; when it is there already, *EXISTING gets its line (else 0). */
static void
hash_set_add (HashSet *set,
              guint64  hash,
              guint    line,
              guint   *existing)
{
  gsize i;

  if (hash == 0)
    hash = 1;
  if (existing)
    *existing = 0;
  if ((set->used + 1) * 2 > set->mask)
    hash_set_reserve (set, set->mask + 1);
  for (i = hash & set->mask; set->slot[i].hash; i = (i + 1) & set->mask)
    if (set->slot[i].hash == hash)
      {
        if (existing)
          *existing = set->slot[i].line;
        return;
      }
  set->slot[i].hash = hash;
  set->slot[i].line = line;
  set->used++;
}

static gboolean
hash_set_contains (HashSet *set,
                   guint64  hash)
{
  if (hash == 0)
    hash = 1;
  for (gsize i = hash & set->mask; set->slot[i].hash; i = (i + 1) & set->mask)
    if (set->slot[i].hash == hash)
      return TRUE;
  return FALSE;
}

/* Keys and fingerprints of one import (never stored): each field is its length, then its
 * bytes eight at a time, each through xxHash64's round; hash_finish mixes the end. A
 * collision (about 1 in 10^7 for a million rows) would wrongly call two rows the same
 * person. Eight bytes a round: the fingerprints of a million people and of a million rows
 * are read in a third of the time a byte at a time took. */
static inline guint64
hash_round (guint64 h,
            guint64 input)
{
  h += input * 0xC2B2AE3D27D4EB4FULL;
  h = (h << 31) | (h >> 33);
  return h * 0x9E3779B185EBCA87ULL;
}

static guint64
hash_bytes (guint64     h,
            const char *s,
            gsize       len)
{
  guint64 word = 0;

  h = hash_round (h, len);
  for (; len >= 8; s += 8, len -= 8)
    {
      memcpy (&word, s, 8);
      h = hash_round (h, word);
    }
  if (len > 0)
    {
      word = 0;
      memcpy (&word, s, len);
      h = hash_round (h, word);
    }
  return h;
}

static guint64
hash_finish (guint64 h)
{
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

/* Cells */

static Cell
trim_cell (const char *text)
{
  Cell c = { text, 0 };
  const char *end;

  while (*c.s == ' ' || *c.s == '\t' || *c.s == '\r' || *c.s == '\n')
    c.s++;
  end = c.s + strlen (c.s);
  while (end > c.s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
    end--;
  c.len = end - c.s;
  if (c.len == 0)
    c.s = NULL;
  return c;
}

static gboolean
cell_eq (Cell a,
         Cell b)
{
  if (a.s == NULL || b.s == NULL)
    return a.s == b.s;
  return a.len == b.len && memcmp (a.s, b.s, a.len) == 0;
}

static Cell
static_cell (const char *text)
{
  Cell c = { text, text ? strlen (text) : 0 };
  return c;
}

static gboolean
cell_is (Cell        c,
         const char *text)
{
  return c.s && c.len == strlen (text) && memcmp (c.s, text, c.len) == 0;
}

/* A NUL-terminated copy in the row's arena (valid until the next row). */
static const char *
arena_put (Import     *imp,
           const char *s,
           gsize       len)
{
  char *p;

  if (imp->arena_used + len + 1 > imp->arena_size)
    return NULL;
  p = imp->arena + imp->arena_used;
  memcpy (p, s, len);
  p[len] = '\0';
  imp->arena_used += len + 1;
  return p;
}

static void
arena_reserve (Import *imp,
               gsize   size)
{
  imp->arena_used = 0;
  if (size <= imp->arena_size)
    return;
  imp->arena_size = MAX (size, imp->arena_size * 2);
  imp->arena = g_realloc (imp->arena, imp->arena_size);
}

static char *
cell_dup (Cell c)
{
  return c.s ? g_strndup (c.s, c.len) : g_strdup ("");
}

/* Progress and cancellation */

static void
report (Import  *imp,
        double   fraction,
        gboolean force)
{
  gint64 now;

  if (imp->progress == NULL)
    return;
  now = g_get_monotonic_time ();
  if (!force && now - imp->last_progress < PROGRESS_INTERVAL_US)
    return;
  imp->last_progress = now;
  imp->progress (imp->progress_from + CLAMP (fraction, 0.0, 1.0)
                 * (imp->progress_to - imp->progress_from),
                 imp->phase, imp->progress_data);
}

static void
set_phase (Import     *imp,
           const char *phase,
           double      from,
           double      to)
{
  imp->phase = phase;
  imp->progress_from = from;
  imp->progress_to = to;
  report (imp, 0.0, TRUE);
}

static gboolean
check_cancelled (Import  *imp,
                 GError **error)
{
  if (!g_cancellable_is_cancelled (imp->cancellable))
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                       _("The import was cancelled; nothing was changed."));
  return FALSE;
}

/* Readers */

static PdTableReader *
open_reader (Import  *imp,
             GError **error)
{
  if (imp->path)
    return pd_table_reader_new (imp->path, error);
  return pd_table_reader_new_from_bytes (imp->bytes, error);
}

static double
reader_fraction (PdTableReader *reader)
{
  guint64 size = pd_table_reader_get_size (reader);

  return size ? (double) pd_table_reader_get_position (reader) / (double) size : 0.0;
}

/* Rejections */

static void
reject (Import     *imp,
        int         target,
        char       *reason)
{
  PdImportRejection *r;
  const char *column = target >= 0 && imp->col[target] >= 0
                       ? imp->mapping->header[imp->col[target]] : "";

  imp->row_rejected = TRUE;
  if (imp->result->rejections->len >= MAX_REJECTIONS)
    {
      g_free (reason);
      return;
    }
  r = g_new0 (PdImportRejection, 1);
  r->line = imp->line;
  r->column = g_strdup (column);
  r->reason = reason;
  g_ptr_array_add (imp->result->rejections, r);
}

/* Identity keys */

/* g_ascii_tolower () without the call (it is not inlined, and runs for every letter). */
static inline char
ascii_lower (char c)
{
  return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* The case-folded text of C: in BUF for ASCII (the usual case, no allocation), else in
 * *ALLOCATED. pd_text_fold of the trimmed text, as the store folds first_name_fold. */
static const char *
fold_cell (Cell    c,
           char   *buf,
           gsize   size,
           char  **allocated)
{
  gboolean ascii = c.len < size;

  for (gsize i = 0; ascii && i < c.len; i++)
    ascii = (guchar) c.s[i] < 0x80;
  if (c.s == NULL)
    return NULL;
  if (!ascii)
    {
      g_autofree char *copy = g_strndup (c.s, c.len);

      *allocated = pd_text_fold (copy);
      return *allocated;
    }
  for (gsize i = 0; i < c.len; i++)
    buf[i] = ascii_lower (c.s[i]);
  buf[c.len] = '\0';
  return buf;
}

/* The key of the cells of a row: member ID, relationship, folded first name and the
 * date of birth's numbers (so "1/2/1980" and "01/02/1980" agree in any order). */
static guint64
row_key (Cell member,
         Cell relationship,
         Cell first,
         Cell dob)
{
  guint64 h = 0xcbf29ce484222325ULL;
  const char *nick = relationship.s ? _pd_normalize_relationship (relationship.s,
                                                                  relationship.len) : NULL;
  g_autofree char *allocated = NULL;
  char buf[128];
  const char *fold = fold_cell (first, buf, sizeof buf, &allocated);
  int num = 0;

  h = hash_bytes (h, member.s, member.len);
  h = nick ? hash_bytes (h, nick, strlen (nick)) : hash_bytes (h, relationship.s, relationship.len);
  h = fold ? hash_bytes (h, fold, strlen (fold)) : h;
  for (gsize i = 0; i < dob.len; i++)
    {
      if (g_ascii_isdigit (dob.s[i]))
        num = num * 10 + (dob.s[i] - '0');
      else
        {
          h = hash_bytes (h, (const char *) &num, sizeof num);
          num = 0;
        }
    }
  h = hash_bytes (h, (const char *) &num, sizeof num);
  return hash_finish (h);
}

static guint64
member_key (Cell member)
{
  return hash_finish (hash_bytes (0x84222325cbf29ce4ULL, member.s, member.len));
}

/* UUIDs in time order (version 7 layout): new rows and change-log keys append to their
 * indexes instead of landing at random places in them. */
static void
uuid7 (Import *imp,
       char    out[37])
{
  static const char hex[] = "0123456789abcdef";
  guint8 b[16];
  guint64 c = imp->uuid_counter++;
  int k = 0;

  for (int i = 0; i < 6; i++)
    b[i] = (guint8) (imp->uuid_ms >> (40 - 8 * i));
  b[6] = 0x70 | (guint8) ((c >> 58) & 0x0f);
  b[7] = (guint8) (c >> 50);
  b[8] = 0x80 | (guint8) ((c >> 42) & 0x3f);
  for (int i = 9; i < 16; i++)
    b[i] = (guint8) (c >> (8 * (15 - i)));
  for (int i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        out[k++] = '-';
      out[k++] = hex[b[i] >> 4];
      out[k++] = hex[b[i] & 15];
    }
  out[k] = '\0';
}

enum {
  ST_LOOKUP, ST_EMPLOYEE, ST_BY_ROWID,
};

/* The store's prepared statement for SQL, looked up once per import (hashing the SQL
 * text for every row costs more than the lookup it saves). */
static PdStmt *
prepare (Import      *imp,
         guint        slot,
         const char  *sql,
         GError     **error)
{
  if (imp->stmts[slot] == NULL)
    imp->stmts[slot] = _pd_store_prepare (imp->store, sql, error);
  return imp->stmts[slot];
}

/* SQL, generated once from pd_person_type. */

typedef struct {
  char *lookup;    /* by identity key */
  char *by_rowid;
  char *insert;    /* "INSERT INTO persons (...) VALUES ": a batch's head */
  char *tuple;     /* its "(?, ?, ...)" */
} PersonSql;

static const PersonSql *
person_sql (void)
{
  static PersonSql sql;
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      g_autoptr(GString) cols = g_string_new (NULL);
      g_autoptr(GString) tuple = g_string_new ("(?, ?, ?, ?, ?, 0");
      g_autofree char *select = NULL;

      g_assert (pd_person_type.n_fields == P_N);
      g_assert (strcmp (pd_person_type.fields[P_UPLOAD].name, "upload_id") == 0);
      g_assert (strcmp (pd_person_type.fields[P_DISPLAY].name, "display_name") == 0);
      for (guint i = 0; i < P_N; i++)
        {
          const char *name = pd_person_type.fields[i].name;

          g_string_append_printf (cols, "%s%s", i ? ", " : "", name);
          g_string_append (tuple, ", ?");
        }
      g_string_append (tuple, ", ?, ?)");
      select = g_strdup_printf ("SELECT rowid, id, version, created_at, %s, first_name_fold "
                                "FROM persons", cols->str);
      sql.lookup = g_strdup_printf ("%s WHERE partner_id = ?1 AND member_id = ?2 "
                                    "AND relationship = ?3 AND first_name_fold = ?4 "
                                    "AND date_of_birth = ?5 AND deleted = 0 LIMIT 1", select);
      sql.by_rowid = g_strdup_printf ("%s WHERE rowid = ?1", select);
      sql.insert = g_strdup_printf ("INSERT INTO persons (id, version, created_at, updated_at, "
                                    "updated_by, deleted, %s, first_name_fold, name_key) "
                                    "VALUES ", cols->str);
      sql.tuple = g_string_free (g_steal_pointer (&tuple), FALSE);
      g_once_init_leave (&once, 1);
    }
  return &sql;
}

static gboolean
step (Import   *imp,
      PdStmt   *stmt,
      GError  **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  _pd_store_set_error (imp->store, rc, error);
  return FALSE;
}

/* Batches */

static void
batch_rows_init (BatchRows *rows,
                 guint      n_params)
{
  rows->n_rows = 0;
  rows->data = g_string_sized_new (JOB_ROWS * 256);
  rows->values = g_array_sized_new (FALSE, FALSE, sizeof (BatchValue), JOB_ROWS * n_params);
}

static void
batch_rows_clear (BatchRows *rows)
{
  if (rows->data)
    g_string_free (rows->data, TRUE);
  rows->data = NULL;
  g_clear_pointer (&rows->values, g_array_unref);
}

static void
batch_rows_reset (BatchRows *rows)
{
  rows->n_rows = 0;
  g_string_truncate (rows->data, 0);
  g_array_set_size (rows->values, 0);
}

static void
batch_init (Batch      *batch,
            const char *head,
            const char *tuple)
{
  g_autoptr(GString) sql = g_string_new (head);

  batch->head = head;
  batch->tuple = tuple;
  batch->n_params = 0;
  for (const char *p = tuple; *p; p++)
    batch->n_params += *p == '?';
  for (guint i = 0; i < BATCH_ROWS; i++)
    g_string_append_printf (sql, "%s%s", i ? ", " : "", tuple);
  batch->full_sql = g_string_free (g_steal_pointer (&sql), FALSE);
  batch_rows_init (&batch->rows, batch->n_params);
}

static void
batch_clear (Batch *batch)
{
  g_clear_pointer (&batch->full_sql, g_free);
  batch_rows_clear (&batch->rows);
}

static void
batch_reset (Batch *batch)
{
  batch_rows_reset (&batch->rows);
}

/* g_string_append_len () inlined while the string has room (it runs for every value). */
static inline void
string_append (GString    *string,
               const char *s,
               gsize       len)
{
  if (string->len + len >= string->allocated_len)
    {
      g_string_append_len (string, s, (gssize) len);
      return;
    }
  memcpy (string->str + string->len, s, len);
  string->len += len;
  string->str[string->len] = '\0';
}

static void
batch_text (Batch      *batch,
            const char *s,
            gssize      len)
{
  BatchValue v = { G_MAXSIZE, 0 };

  if (s)
    {
      v.offset = batch->rows.data->len;
      v.len = len < 0 ? strlen (s) : (gsize) len;
      string_append (batch->rows.data, s, v.len);
    }
  g_array_append_val (batch->rows.values, v);
}

static void
batch_cell (Batch *batch,
            Cell   c)
{
  batch_text (batch, c.s, (gssize) c.len);
}

static void
batch_int (Batch  *batch,
           gint64  number)
{
  BatchValue v = { (gsize) number, G_MAXSIZE };

  g_array_append_val (batch->rows.values, v);
}

static void
batch_row_done (Batch *batch)
{
  batch->rows.n_rows++;
}

/* The statement for N rows of BATCH (N < BATCH_ROWS: made for the occasion). */
static PdStmt *
batch_stmt (Import   *imp,
            Batch    *batch,
            guint     n,
            GError  **error)
{
  g_autoptr(GString) sql = NULL;

  if (n == BATCH_ROWS)
    {
      if (batch->full_stmt == NULL)
        batch->full_stmt = _pd_store_prepare (imp->store, batch->full_sql, error);
      return batch->full_stmt;
    }
  sql = g_string_new (batch->head);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (sql, "%s%s", i ? ", " : "", batch->tuple);
  return _pd_store_prepare (imp->store, sql->str, error);
}

/* Inserts N rows of ROWS from its row FIRST. */
static gboolean
batch_write_some (Import     *imp,
                  Batch      *batch,
                  BatchRows  *rows,
                  guint       first,
                  guint       n,
                  GError    **error)
{
  PdStmt *stmt = batch_stmt (imp, batch, n, error);
  guint base = first * batch->n_params;
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < n * batch->n_params; i++)
    {
      BatchValue *v = &g_array_index (rows->values, BatchValue, base + i);

      if (v->len == G_MAXSIZE)
        sqlite3_bind_int64 (stmt, (int) i + 1, (gint64) v->offset);
      else if (v->offset == G_MAXSIZE)
        sqlite3_bind_null (stmt, (int) i + 1);
      else
        sqlite3_bind_text (stmt, (int) i + 1, rows->data->str + v->offset, (int) v->len,
                           SQLITE_STATIC);
    }
  ok = step (imp, stmt, error);
  _pd_stmt_release (stmt);
  return ok;
}

/* Inserts ROWS (then empty). */
static gboolean
batch_write (Import     *imp,
             Batch      *batch,
             BatchRows  *rows,
             GError    **error)
{
  gboolean ok = TRUE;

  g_assert (rows->values->len == rows->n_rows * batch->n_params);
  for (guint first = 0; ok && first < rows->n_rows; first += BATCH_ROWS)
    ok = batch_write_some (imp, batch, rows, first, MIN (BATCH_ROWS, rows->n_rows - first),
                           error);
  batch_rows_reset (rows);
  return ok;
}

/* The writer thread */

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  Import *imp = w->imp;

  g_mutex_lock (&w->lock);
  for (;;)
    {
      while (!w->pending && !w->quit)
        g_cond_wait (&w->cond, &w->lock);
      if (!w->pending)
        break;
      g_mutex_unlock (&w->lock);
      if (w->error == NULL && batch_write (imp, &imp->person_batch, &w->person, &w->error))
        batch_write (imp, &imp->change_batch, &w->change, &w->error);
      batch_rows_reset (&w->person);
      batch_rows_reset (&w->change);
      g_mutex_lock (&w->lock);
      w->pending = FALSE;
      g_cond_broadcast (&w->cond);
    }
  g_mutex_unlock (&w->lock);
  return NULL;
}

/* Waits until no job is being written; FALSE with the writer's error if one failed. */
static gboolean
writer_wait (Import   *imp,
             GError  **error)
{
  Writer *w = imp->writer;

  if (w == NULL)
    return TRUE;
  g_mutex_lock (&w->lock);
  while (w->pending)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  if (w->error == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&w->error));
  return FALSE;
}

static void
writer_free (Writer *w)
{
  g_mutex_lock (&w->lock);
  w->quit = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  if (w->thread)
    g_thread_join (w->thread);
  batch_rows_clear (&w->person);
  batch_rows_clear (&w->change);
  g_clear_error (&w->error);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
}

static void
writer_start (Import *imp)
{
  Writer *w = g_new0 (Writer, 1);

  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  batch_rows_init (&w->person, imp->person_batch.n_params);
  batch_rows_init (&w->change, imp->change_batch.n_params);
  w->imp = imp;
  w->thread = g_thread_try_new ("pd-import-write", writer_thread, w, NULL);
  /* Without a thread the rows are written as they come, as for other imports. */
  if (w->thread == NULL)
    writer_free (w);
  else
    imp->writer = w;
}

/* Hands the filled rows to the writer. */
static gboolean
writer_submit (Import   *imp,
               GError  **error)
{
  Writer *w = imp->writer;
  BatchRows t;

  if (!writer_wait (imp, error))
    return FALSE;
  t = w->person, w->person = imp->person_batch.rows, imp->person_batch.rows = t;
  t = w->change, w->change = imp->change_batch.rows, imp->change_batch.rows = t;
  g_mutex_lock (&w->lock);
  w->pending = TRUE;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  return TRUE;
}

/* Everything collected is in the database (and the connection is ours) after this. */
static gboolean
flush_batches (Import   *imp,
               GError  **error)
{
  return writer_wait (imp, error)
         && batch_write (imp, &imp->person_batch, &imp->person_batch.rows, error)
         && batch_write (imp, &imp->change_batch, &imp->change_batch.rows, error);
}

/* After a row: writes (or hands over) the collected rows once there are enough. */
static gboolean
rows_done (Import   *imp,
           GError  **error)
{
  if (imp->person_batch.rows.n_rows < JOB_ROWS && imp->change_batch.rows.n_rows < JOB_ROWS)
    return TRUE;
  return imp->writer ? writer_submit (imp, error) : flush_batches (imp, error);
}

static void
bind_cell (sqlite3_stmt *stmt,
           int           index,
           Cell          c)
{
  if (c.s)
    sqlite3_bind_text (stmt, index, c.s, (int) c.len, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, index);
}

/* Copies the person row of STMT (columns of PersonSql) into imp->old. */
static void
load_old (Import       *imp,
          sqlite3_stmt *stmt)
{
  gsize total = 0;
  char *p;

  imp->old_rowid = sqlite3_column_int64 (stmt, 0);
  g_strlcpy (imp->old_id, (const char *) sqlite3_column_text (stmt, 1), sizeof imp->old_id);
  imp->old_version = sqlite3_column_int64 (stmt, 2);
  g_strlcpy (imp->old_created, (const char *) sqlite3_column_text (stmt, 3),
             sizeof imp->old_created);
  for (guint i = 0; i <= P_N; i++)
    {
      sqlite3_column_text (stmt, 4 + i);
      total += (gsize) sqlite3_column_bytes (stmt, 4 + i) + 1;
    }
  if (total > imp->old_size)
    {
      imp->old_size = total * 2;
      imp->old_buf = g_realloc (imp->old_buf, imp->old_size);
    }
  p = imp->old_buf;
  for (guint i = 0; i <= P_N; i++)
    {
      const char *text = (const char *) sqlite3_column_text (stmt, 4 + i);
      gsize len = (gsize) sqlite3_column_bytes (stmt, 4 + i);

      imp->old[i].s = NULL;
      imp->old[i].len = 0;
      if (text == NULL || len == 0)
        continue;
      memcpy (p, text, len);
      p[len] = '\0';
      imp->old[i].s = p;
      imp->old[i].len = len;
      p += len + 1;
    }
}

static void
clear_old (Import *imp)
{
  for (guint i = 0; i <= P_N; i++)
    {
      imp->old[i].s = NULL;
      imp->old[i].len = 0;
    }
  imp->old_rowid = 0;
}

static void
mark_seen (Import *imp,
           gint64  rowid)
{
  gsize byte = (gsize) rowid / 8;

  if (rowid <= 0)
    return;
  if (byte >= imp->seen_size)
    {
      gsize size = MAX (byte + 1, imp->seen_size * 2);

      imp->seen = g_realloc (imp->seen, size);
      memset (imp->seen + imp->seen_size, 0, size - imp->seen_size);
      imp->seen_size = size;
    }
  imp->seen[byte] |= 1 << (rowid % 8);
}

static gboolean
was_seen (Import *imp,
          gint64  rowid)
{
  gsize byte = (gsize) rowid / 8;

  return byte < imp->seen_size && (imp->seen[byte] & (1 << (rowid % 8)));
}

/* Finds the partner's live person with the key of VAL; fills imp->old. */
static gboolean
lookup_person (Import  *imp,
               GError **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *allocated = NULL;
  char buf[128];
  const char *fold;
  int rc;

  clear_old (imp);
  if (!imp->partner_has_people)
    return TRUE;
  if (!writer_wait (imp, error))
    return FALSE;
  stmt = prepare (imp, ST_LOOKUP, person_sql ()->lookup, error);
  if (stmt == NULL)
    return FALSE;
  fold = fold_cell (imp->val[P_FIRST], buf, sizeof buf, &allocated);
  sqlite3_bind_text (stmt, 1, imp->partner_id, -1, SQLITE_STATIC);
  bind_cell (stmt, 2, imp->val[P_MEMBER]);
  bind_cell (stmt, 3, imp->val[P_REL]);
  sqlite3_bind_text (stmt, 4, fold, -1, SQLITE_STATIC);
  bind_cell (stmt, 5, imp->val[P_DOB]);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    load_old (imp, stmt);
  else if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (imp->store, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
employee_in_database (Import  *imp,
                      Cell     member,
                      GError **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  if (!imp->partner_has_people || !writer_wait (imp, error))
    return FALSE;
  stmt = prepare (imp, ST_EMPLOYEE, "SELECT 1 FROM persons WHERE partner_id = ?1 "
                            "AND member_id = ?2 AND relationship = 'employee' "
                            "AND deleted = 0 LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, imp->partner_id, -1, SQLITE_STATIC);
  bind_cell (stmt, 2, member);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    _pd_store_set_error (imp->store, rc, error);
  return rc == SQLITE_ROW;
}

/* The known people */

static gint64 query_count (Import *imp, const char *sql);

/* The identity (member ID, relationship, folded first name, ISO date of birth) as the
 * lookup by key compares it; 0 when a part is missing (such a person is never found). */
static guint64
identity_key (Cell member,
              Cell relationship,
              Cell fold,
              Cell dob)
{
  guint64 h = 0x6c62272e07bb0142ULL;

  if (!member.s || !relationship.s || !fold.s || !dob.s || !member.len || !relationship.len
      || !fold.len || !dob.len)
    return 0;
  h = hash_bytes (h, member.s, member.len);
  h = hash_bytes (h, relationship.s, relationship.len);
  h = hash_bytes (h, fold.s, fold.len);
  h = hash_finish (hash_bytes (h, dob.s, dob.len));
  return h ? h : 1;
}

static guint64
val_identity_key (Import *imp)
{
  g_autofree char *allocated = NULL;
  char buf[128];
  const char *fold = fold_cell (imp->val[P_FIRST], buf, sizeof buf, &allocated);

  return identity_key (imp->val[P_MEMBER], imp->val[P_REL], static_cell (fold),
                       imp->val[P_DOB]);
}

/* A hash of the mapped fields of imp->val (NULL and "" alike, as same_as_old sees them). */
static guint64
content_hash (Import *imp,
              Cell   *cells)
{
  guint64 h = 0xcbf29ce484222325ULL;

  for (guint i = 0; i < imp->n_mapped; i++)
    h = hash_bytes (h, cells[i].s, cells[i].s ? cells[i].len : 0);
  return hash_finish (h);
}

static void
known_clear (KnownSet *set)
{
  g_clear_pointer (&set->people, g_array_unref);
  g_clear_pointer (&set->slots, g_free);
}

static Known *
known_find (KnownSet *set,
            guint64   key)
{
  if (key == 0 || set->slots == NULL)
    return NULL;
  for (gsize i = key & set->mask; set->slots[i]; i = (i + 1) & set->mask)
    {
      Known *k = &g_array_index (set->people, Known, set->slots[i] - 1);

      if (k->key == key)
        return k;
    }
  return NULL;
}

/* Indexes the people by key; the first of equal keys (lowest rowid) wins, as in the
 * lookup by key. */
static void
known_index (KnownSet *set)
{
  gsize size = 1024;

  while (size < set->people->len * 2)
    size <<= 1;
  set->slots = g_new0 (guint32, size);
  set->mask = size - 1;
  for (guint n = 0; n < set->people->len; n++)
    {
      Known *k = &g_array_index (set->people, Known, n);
      gsize i;

      if (k->key == 0 || known_find (set, k->key))
        continue;
      for (i = k->key & set->mask; set->slots[i]; i = (i + 1) & set->mask)
        ;
      set->slots[i] = n + 1;
    }
}

static Cell
column_cell (sqlite3_stmt *stmt,
             int           col)
{
  Cell c = { (const char *) sqlite3_column_text (stmt, col), 0 };

  c.len = (gsize) sqlite3_column_bytes (stmt, col);
  if (c.len == 0)
    c.s = NULL;
  return c;
}

/* "SELECT rowid, eligibility_status, coverage_start, coverage_end, member_id,
 * relationship, first_name_fold, date_of_birth, <mapped fields>" of the partner's live
 * people, in one pass over the table. */
static char *
known_sql (Import *imp)
{
  g_autoptr(GString) sql = g_string_new ("SELECT rowid, eligibility_status, coverage_start, "
                                         "coverage_end, member_id, relationship, "
                                         "first_name_fold, date_of_birth");

  for (guint i = 0; i < imp->n_mapped; i++)
    g_string_append_printf (sql, ", %s", pd_person_type.fields[imp->mapped[i]].name);
  g_string_append (sql, " FROM persons NOT INDEXED WHERE partner_id = ?1 AND deleted = 0");
  return g_string_free (g_steal_pointer (&sql), FALSE);
}

static void
known_add (Import       *imp,
           GArray       *people,
           sqlite3_stmt *stmt)
{
  Known k = { 0 };
  Cell cells[P_N];
  Cell elig = column_cell (stmt, 1), start = column_cell (stmt, 2), end = column_cell (stmt, 3);

  k.rowid = sqlite3_column_int64 (stmt, 0);
  if (cell_is (elig, "terminated"))
    k.flags |= KNOWN_TERMINATED;
  if (cell_is (elig, "eligible"))
    k.flags |= KNOWN_ELIGIBLE;
  if (start.s && end.s && memcmp (end.s, start.s, MIN (end.len, start.len)) < 0)
    k.flags |= KNOWN_ENDS_EARLY;
  k.key = identity_key (column_cell (stmt, 4), column_cell (stmt, 5), column_cell (stmt, 6),
                        column_cell (stmt, 7));
  for (guint i = 0; i < imp->n_mapped; i++)
    cells[i] = column_cell (stmt, 8 + (int) i);
  k.content = content_hash (imp, cells);
  g_array_append_val (people, k);
}

/* The partner's live people of rowids FROM to TO (exclusive; 0: no end) through DB. */
typedef struct {
  Import  *imp;
  sqlite3 *db;
  gint64   from;
  gint64   to;
  GArray  *people;   /* Known */
  gint64   eligible;
  int      rc;       /* SQLITE_DONE, or the failure */
  GThread *thread;
} KnownPart;

static gpointer
known_part_read (gpointer data)
{
  KnownPart *part = data;
  g_autofree char *select = known_sql (part->imp);
  g_autofree char *sql = g_strdup_printf ("%s AND rowid >= ?2 AND (?3 = 0 OR rowid < ?3)",
                                          select);
  sqlite3_stmt *stmt = NULL;

  part->rc = sqlite3_prepare_v2 (part->db, sql, -1, &stmt, NULL);
  if (part->rc != SQLITE_OK)
    return NULL;
  sqlite3_bind_text (stmt, 1, part->imp->partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, part->from);
  sqlite3_bind_int64 (stmt, 3, part->to);
  while ((part->rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      known_add (part->imp, part->people, stmt);
      if (g_array_index (part->people, Known, part->people->len - 1).flags & KNOWN_ELIGIBLE)
        part->eligible++;
      if ((part->people->len & 4095) == 0 && g_cancellable_is_cancelled (part->imp->cancellable))
        {
          part->rc = SQLITE_INTERRUPT;
          break;
        }
    }
  sqlite3_finalize (stmt);
  return NULL;
}

static gboolean
part_read_ok (KnownPart *part)
{
  return part->rc == SQLITE_DONE || part->rc == SQLITE_INTERRUPT;
}

/* The second half of the table is read by a thread on a read-only connection of its own:
 * while this import holds the write lock and has written nothing yet, that connection sees
 * what the import's own sees. Not for a dry run (no write lock), a database in memory or
 * an import inside somebody else's transaction. */
static sqlite3 *
known_helper_connection (Import *imp)
{
  sqlite3 *db = NULL;

  if (imp->dry_run || imp->store->depth != 1 || imp->store->path == NULL
      || sqlite3_db_readonly (imp->store->db, "main") != 0
      || sqlite3_open_v2 (imp->store->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  sqlite3_exec (db, "PRAGMA mmap_size = 0; PRAGMA cache_size = -4096", NULL, NULL, NULL);
  return db;
}

static gboolean
load_known (Import  *imp,
            GError **error)
{
  gint64 last = query_count (imp, "SELECT coalesce (max (rowid), 0) FROM persons "
                                  "WHERE ?1 IS NOT NULL");
  KnownPart parts[2] = {
    { imp, imp->store->db, 0, 0, NULL, 0, SQLITE_DONE, NULL },
    { imp, NULL, 0, 0, NULL, 0, SQLITE_DONE, NULL },
  };
  gboolean ok;

  if (last >= 100000 && (parts[1].db = known_helper_connection (imp)) != NULL)
    {
      parts[0].to = parts[1].from = last / 2;
      parts[1].people = g_array_sized_new (FALSE, FALSE, sizeof (Known), 4096);
      parts[1].thread = g_thread_try_new ("pd-import-known", known_part_read, &parts[1], NULL);
      if (parts[1].thread == NULL)
        parts[0].to = 0;
    }
  parts[0].people = imp->known.people = g_array_new (FALSE, FALSE, sizeof (Known));
  known_part_read (&parts[0]);
  if (parts[1].thread)
    g_thread_join (parts[1].thread);
  /* Interrupted is cancelled: check_cancelled below says so. */
  ok = part_read_ok (&parts[0]) && part_read_ok (&parts[1]);
  if (!part_read_ok (&parts[0]))
    _pd_store_set_error (imp->store, parts[0].rc, error);
  else if (!part_read_ok (&parts[1]))
    g_set_error (error, PD_ERROR, PD_ERROR_DATABASE, _("Database error: %s"),
                 sqlite3_errstr (parts[1].rc));
  else if (parts[1].thread)
    g_array_append_vals (imp->known.people, parts[1].people->data, parts[1].people->len);
  imp->eligible_before = parts[0].eligible + (parts[1].thread ? parts[1].eligible : 0);
  g_clear_pointer (&parts[1].people, g_array_unref);
  sqlite3_close (parts[1].db);
  if (!ok || !check_cancelled (imp, error))
    return FALSE;
  known_index (&imp->known);
  return TRUE;
}

/* Whether the partner has enough people, compared with the table, for one scan to beat a
 * lookup per row. */
static gboolean
want_known (Import *imp)
{
  gint64 partner = query_count (imp, "SELECT count(*) FROM persons WHERE partner_id = ?1");
  gint64 total = query_count (imp, "SELECT coalesce (max (rowid), 0) FROM persons "
                                   "WHERE ?1 IS NOT NULL");

  return partner >= 2000 && partner * 8 >= total;
}

/* The row of the person with the key of imp->val, through the known people. */
static gboolean
find_known (Import  *imp,
            GError **error)
{
  Known *k = known_find (&imp->known, val_identity_key (imp));
  g_autoptr(PdStmt) stmt = NULL;
  g_autofree char *allocated = NULL;
  char buf[128];
  const char *fold;

  clear_old (imp);
  if (k == NULL)
    return TRUE;
  stmt = prepare (imp, ST_BY_ROWID, person_sql ()->by_rowid, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, k->rowid);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    load_old (imp, stmt);
  _pd_stmt_release (stmt);
  fold = fold_cell (imp->val[P_FIRST], buf, sizeof buf, &allocated);
  /* Two keys with one hash: ask the database. */
  if (imp->old_rowid == 0 || !cell_eq (imp->old[P_MEMBER], imp->val[P_MEMBER])
      || !cell_eq (imp->old[P_REL], imp->val[P_REL])
      || !cell_eq (imp->old[P_DOB], imp->val[P_DOB])
      || !cell_eq (imp->old[P_N], static_cell (fold)))
    return lookup_person (imp, error);
  return TRUE;
}

/* A listed person whose mapped fields are as stored: unchanged, without reading the row. */
static gboolean
unchanged_known (Import     *imp,
                 const char *maintenance)
{
  Cell cells[P_N];
  Known *k;

  if (strcmp (maintenance, "terminate") == 0 || strcmp (maintenance, "reinstate") == 0)
    return FALSE;
  k = known_find (&imp->known, val_identity_key (imp));
  if (k == NULL || k->flags & (KNOWN_TERMINATED | KNOWN_ENDS_EARLY))
    return FALSE;
  for (guint i = 0; i < imp->n_mapped; i++)
    cells[i] = imp->val[imp->mapped[i]];
  if (content_hash (imp, cells) != k->content)
    return FALSE;
  mark_seen (imp, k->rowid);
  imp->result->unchanged++;
  return TRUE;
}

static gboolean
find_person (Import  *imp,
             GError **error)
{
  return imp->use_known ? find_known (imp, error) : lookup_person (imp, error);
}

/* Writing people */

static void
json_string (GString    *json,
             const char *s,
             gsize       len)
{
  static const char hex[] = "0123456789abcdef";

  g_string_append_c (json, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];

      if (c == '"' || c == '\\')
        {
          g_string_append_c (json, '\\');
          g_string_append_c (json, (char) c);
        }
      else if (c < 0x20)
        {
          g_string_append (json, "\\u00");
          g_string_append_c (json, hex[c >> 4]);
          g_string_append_c (json, hex[c & 15]);
        }
      else
        g_string_append_c (json, (char) c);
    }
  g_string_append_c (json, '"');
}

/* The change-log payload of an imported person: only its id and version, which means
 * "push the record's current row" (see PdChange in pd-store.h). The full JSON of each
 * person (about 700 bytes) made the change log of a million-row census 1 GB, written
 * twice through the WAL: the import's largest cost. */
static const char *
person_json (Import     *imp,
             const char *id,
             gint64      version)
{
  GString *json = imp->json;

  g_string_truncate (json, 0);
  g_string_append (json, "{\"id\":");
  json_string (json, id, strlen (id));
  g_string_append_printf (json, ",\"version\":%" G_GINT64_FORMAT "}", version);
  return json->str;
}

static gboolean
write_change (Import      *imp,
              const char  *id,
              gint64       base_version,
              gint64       version,
              GError     **error)
{
  Batch *batch = &imp->change_batch;
  char key[37];

  uuid7 (imp, key);
  batch_text (batch, key, 36);
  batch_text (batch, id, -1);
  batch_int (batch, base_version);
  person_json (imp, id, version);
  batch_text (batch, imp->json->str, (gssize) imp->json->len);
  batch_text (batch, imp->now, -1);
  batch_row_done (batch);
  return rows_done (imp, error);
}

static void
insert_person (Import      *imp,
               const char  *id,
               const char  *fold,
               const char  *name_key)
{
  Batch *batch = &imp->person_batch;

  batch_text (batch, id, 36);
  batch_int (batch, 1);
  batch_text (batch, imp->now, -1);
  batch_text (batch, imp->now, -1);
  batch_text (batch, pd_store_get_actor (imp->store), -1);
  for (guint i = 0; i < P_N; i++)
    batch_cell (batch, imp->val[i]);
  batch_text (batch, fold, -1);
  batch_text (batch, name_key, -1);
  batch_row_done (batch);
}

/* Writes imp->val over imp->old, setting only the columns that change: SQLite rewrites an
 * index when the SET list names one of its columns, whatever the values, so setting every
 * column made a changed email rewrite a page of each of the three person indexes besides
 * the row's (and journal all four); now it is the row's page alone. */
static gboolean
update_person (Import      *imp,
               const char  *fold,
               const char  *name_key,
               GError     **error)
{
  g_autoptr(GString) sql = g_string_new ("UPDATE persons SET version = ?2, updated_at = ?4, "
                                         "updated_by = ?5");
  g_autoptr(PdStmt) stmt = NULL;

  if (!writer_wait (imp, error))
    return FALSE;
  for (guint i = 0; i < P_N; i++)
    if (!cell_eq (imp->val[i], imp->old[i]))
      g_string_append_printf (sql, ", %s = ?%u", pd_person_type.fields[i].name, i + 6);
  if (!cell_eq (static_cell (fold), imp->old[P_N]))
    g_string_append_printf (sql, ", first_name_fold = ?%u", P_N + 6);
  if (!cell_eq (imp->val[P_FIRST], imp->old[P_FIRST])
      || !cell_eq (imp->val[P_LAST], imp->old[P_LAST]))
    g_string_append_printf (sql, ", name_key = ?%u", P_N + 7);
  g_string_append_printf (sql, " WHERE rowid = ?%u", P_N + 8);
  stmt = _pd_store_prepare (imp->store, sql->str, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 2, imp->old_version + 1);
  sqlite3_bind_text (stmt, 4, imp->now, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, pd_store_get_actor (imp->store), -1, SQLITE_STATIC);
  for (guint i = 0; i < P_N; i++)
    bind_cell (stmt, 6 + i, imp->val[i]);
  sqlite3_bind_text (stmt, P_N + 6, fold, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, P_N + 7, name_key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, P_N + 8, imp->old_rowid);
  return step (imp, stmt, error);
}

/* pd_people_name_key () of imp->val: in BUF for ASCII names (no allocation), else in
 * *ALLOCATED. */
static const char *
name_key_of (Import  *imp,
             char    *buf,
             gsize    size,
             char   **allocated)
{
  Cell last = imp->val[P_LAST], first = imp->val[P_FIRST];
  gboolean ascii = last.len + first.len + 2 <= size;
  gsize k = 0;

  for (gsize i = 0; ascii && i < last.len; i++)
    ascii = (guchar) last.s[i] < 0x80;
  for (gsize i = 0; ascii && i < first.len; i++)
    ascii = (guchar) first.s[i] < 0x80;
  if (!ascii)
    {
      g_autofree char *l = cell_dup (last);
      g_autofree char *f = cell_dup (first);

      *allocated = pd_people_name_key (l, f);
      return *allocated;
    }
  for (gsize i = 0; i < last.len; i++)
    buf[k++] = ascii_lower (last.s[i]);
  buf[k++] = '\001';
  for (gsize i = 0; i < first.len; i++)
    buf[k++] = ascii_lower (first.s[i]);
  buf[k] = '\0';
  return buf;
}

/* Writes imp->val as a new person (no old row) or over imp->old; with its change-log entry. */
static gboolean
write_person (Import  *imp,
              GError **error)
{
  g_autofree char *allocated = NULL;
  g_autofree char *key_allocated = NULL;
  char buf[128];
  char key_buf[256];
  char new_id[37];
  const char *fold = fold_cell (imp->val[P_FIRST], buf, sizeof buf, &allocated);
  const char *name_key = name_key_of (imp, key_buf, sizeof key_buf, &key_allocated);

  if (imp->old_rowid == 0)
    {
      uuid7 (imp, new_id);
      insert_person (imp, new_id, fold, name_key);
      return write_change (imp, new_id, 0, 1, error);
    }
  return update_person (imp, fold, name_key, error)
         && write_change (imp, imp->old_id, imp->old_version, imp->old_version + 1, error);
}

/* Reading a row */

static const char *
date_hint (PdDateOrder order)
{
  switch (order)
    {
    case PD_DATE_ORDER_MDY:
      return "MM/DD/YYYY";
    case PD_DATE_ORDER_DMY:
      return "DD/MM/YYYY";
    case PD_DATE_ORDER_YMD:
    case PD_DATE_ORDER_AUTO:
    default:
      return "YYYY-MM-DD";
    }
}

/* The date in cell TARGET as ISO text in imp->dates[SLOT]; rejects the row when it is none. */
static Cell
parse_date (Import *imp,
            int     target,
            int     slot)
{
  Cell c = imp->cell[target];
  Cell none = { NULL, 0 };
  Cell iso = { imp->dates[slot], 10 };
  PdDateStatus status;
  g_autofree char *text = NULL;

  if (c.s == NULL)
    return none;
  status = _pd_date_parse (c.s, c.len, imp->order, imp->dates[slot]);
  if (status == PD_DATE_OK)
    return iso;
  text = cell_dup (c);
  if (status == PD_DATE_IMPOSSIBLE)
    /* TRANSLATORS: %s is a date as written in the file */
    reject (imp, target, g_strdup_printf (_("the date %s does not exist"), text));
  else
    {
      guint before = imp->result->rejections->len;

      /* TRANSLATORS: "“1980-13” is not a date (expected MM/DD/YYYY)" */
      reject (imp, target, g_strdup_printf (_("“%s” is not a date (expected %s)"), text,
                                            date_hint (imp->order)));
      if (imp->order_provisional && imp->result->rejections->len > before)
        {
          Hinted h = { before, g_steal_pointer (&text) };

          g_array_append_val (imp->hinted, h);
        }
    }
  return none;
}

typedef const char *(*Normalizer) (const char *text, gsize len);

static Cell
parse_word (Import     *imp,
            int         target,
            Normalizer  normalize,
            const char *message)
{
  Cell c = imp->cell[target];
  Cell none = { NULL, 0 };
  const char *nick;
  g_autofree char *text = NULL;

  if (c.s == NULL)
    return none;
  nick = normalize (c.s, c.len);
  if (nick)
    return static_cell (nick);
  text = cell_dup (c);
  reject (imp, target, g_strdup_printf (_(message), text));
  return none;
}

static void
check_required (Import *imp)
{
  static const int required[] = { T_MEMBER, T_FIRST, T_LAST, T_DOB, T_REL };

  for (guint i = 0; i < G_N_ELEMENTS (required); i++)
    if (imp->cell[required[i]].s == NULL)
      reject (imp, required[i], g_strdup (_("a value is required")));
}

static void
check_dates (Import *imp)
{
  Cell dob = imp->val[P_DOB];
  Cell start = imp->val[P_CSTART];
  Cell end = imp->val[P_CEND];

  if (dob.s && strcmp (dob.s, imp->today) > 0)
    reject (imp, T_DOB, g_strdup_printf (_("the birth date %s is in the future"), dob.s));
  if (start.s && end.s && strcmp (end.s, start.s) < 0)
    reject (imp, T_CEND, g_strdup_printf (_("coverage ends on %s, before it starts on %s"),
                                          end.s, start.s));
}

static void
check_email (Import *imp)
{
  Cell c = imp->cell[T_EMAIL];
  const char *text;

  if (c.s == NULL)
    return;
  text = arena_put (imp, c.s, c.len);
  if (text && pd_email_is_valid (text))
    {
      imp->val[P_EMAIL].s = text;
      imp->val[P_EMAIL].len = c.len;
      return;
    }
  reject (imp, T_EMAIL, g_strdup_printf (_("“%s” is not an email address"), text ? text : ""));
}

/* Whether the employee's row came before in the file: asked of the key set, or while a
 * reading thread runs ahead (prep_pass_rows) of what it said for this row. */
static gboolean
employee_seen (Import *imp,
               Cell    employee)
{
  return imp->prep_active ? imp->row_employee_in_file
                          : hash_set_contains (&imp->employees, member_key (employee));
}

static gboolean
check_dependent (Import  *imp,
                 GError **error)
{
  Cell employee = imp->cell[T_EMP];
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;

  if (imp->val[P_REL].s == NULL || cell_is (imp->val[P_REL], "employee"))
    return TRUE;
  if (employee.s == NULL)
    {
      reject (imp, imp->col[T_EMP] >= 0 ? T_EMP : T_REL,
              g_strdup (_("a dependent needs the member ID of their employee")));
      return TRUE;
    }
  if (employee_seen (imp, employee))
    return TRUE;
  if (employee_in_database (imp, employee, &local_error))
    return TRUE;
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  text = cell_dup (employee);
  reject (imp, T_EMP, g_strdup_printf (_("the employee %s is neither in this file nor among "
                                         "this partner's people"), text));
  return TRUE;
}

/* Fills imp->cell and imp->val (the file's values, normalised) and rejects what is wrong. */
static gboolean
read_row (Import      *imp,
          const char **fields,
          guint        present,
          const char **maintenance,
          GError     **error)
{
  gsize total = 64;
  gpointer first;

  for (int t = 0; t < N_TARGETS; t++)
    {
      Cell none = { NULL, 0 };

      imp->cell[t] = imp->col[t] >= 0 ? trim_cell (fields[imp->col[t]]) : none;
      total += imp->cell[t].len + 1;
    }
  arena_reserve (imp, total * 2);
  memset (imp->val, 0, sizeof imp->val);
  if (present > imp->n_columns)
    reject (imp, -1, g_strdup_printf (_("the row has %u fields but the header has %u"),
                                      present, imp->n_columns));
  *maintenance = "add";
  if (imp->cell[T_MAINT].s)
    {
      Cell m = parse_word (imp, T_MAINT, _pd_normalize_maintenance,
                           N_("“%s” is not a maintenance type (add, change, terminate, "
                             "reinstate or audit)"));

      if (m.s)
        *maintenance = m.s;
    }
  check_required (imp);
  for (int t = 0; t < N_TARGETS; t++)
    if (target_field[t] >= 0)
      imp->val[target_field[t]] = imp->cell[t];
  imp->val[P_DOB] = parse_date (imp, T_DOB, 0);
  imp->val[P_CSTART] = parse_date (imp, T_CSTART, 1);
  imp->val[P_CEND] = parse_date (imp, T_CEND, 2);
  check_dates (imp);
  imp->val[P_REL] = parse_word (imp, T_REL, _pd_normalize_relationship,
                                N_("“%s” is not a relationship (employee, spouse, child or other)"));
  imp->val[P_ELIG] = parse_word (imp, T_ELIG, _pd_normalize_eligibility,
                                 N_("“%s” is not an eligibility status (eligible, ineligible "
                                   "or terminated)"));
  imp->val[P_ENROLL] = parse_word (imp, T_ENROLL, _pd_normalize_enrollment,
                                   N_("“%s” is not an enrollment status (not enrolled, invited, "
                                     "enrolled or declined)"));
  imp->val[P_EMAIL].s = NULL;
  check_email (imp);
  imp->val[P_PARTNER] = static_cell (imp->partner_id);
  if (!check_dependent (imp, error))
    return FALSE;
  first = imp->prep_active ? GUINT_TO_POINTER (imp->row_dup_first)
                           : g_hash_table_lookup (imp->duplicates, GUINT_TO_POINTER (imp->line));
  if (first)
    reject (imp, -1, g_strdup_printf (_("the same person (member ID, relationship, first name "
                                        "and date of birth) as on line %u"),
                                      GPOINTER_TO_UINT (first)));
  return TRUE;
}

/* Applying a row */

static gboolean
field_mapped (Import *imp,
              int     field)
{
  for (int t = 0; t < N_TARGETS; t++)
    if (target_field[t] == field)
      return imp->col[t] >= 0;
  return FALSE;
}

/* "First Last" in the arena (read_row reserved room for it). */
static void
set_display_name (Import *imp)
{
  Cell first = imp->val[P_FIRST];
  Cell last = imp->val[P_LAST];
  gsize len = first.len + 1 + last.len;
  char *p;

  g_assert (imp->arena_used + len + 1 <= imp->arena_size);
  p = imp->arena + imp->arena_used;
  imp->arena_used += len + 1;
  memcpy (p, first.s, first.len);
  p[first.len] = ' ';
  memcpy (p + first.len + 1, last.s, last.len);
  p[len] = '\0';
  imp->val[P_DISPLAY].s = p;
  imp->val[P_DISPLAY].len = len;
}

/* The fields the file feeds, as unchanged_known () compares them. */
static void
find_mapped_fields (Import *imp)
{
  imp->n_mapped = 0;
  for (int i = 0; i < P_N; i++)
    if (i != P_PARTNER && i != P_DISPLAY && i != P_UPLOAD && field_mapped (imp, i))
      imp->mapped[imp->n_mapped++] = i;
}

static gboolean
same_as_old (Import *imp)
{
  for (guint i = 0; i < P_N; i++)
    if (i != P_DISPLAY && i != P_UPLOAD && !cell_eq (imp->val[i], imp->old[i]))
      return FALSE;
  return TRUE;
}

/* Writes imp->val unless it equals the old row; counts. */
static gboolean
commit_row (Import    *imp,
            gboolean   names_from_file,
            guint     *counter,
            GError   **error)
{
  if (imp->old_rowid && same_as_old (imp))
    {
      imp->result->unchanged++;
      return TRUE;
    }
  if (names_from_file)
    set_display_name (imp);
  imp->val[P_UPLOAD] = static_cell (imp->result->upload_id ? imp->result->upload_id
                                                           : "dry-run");
  (*counter)++;
  return imp->dry_run || write_person (imp, error);
}

/* Ends the coverage of the person in imp->old on END (or keeps an earlier end). */
static gboolean
terminate_old (Import   *imp,
               Cell      end,
               GError  **error)
{
  memcpy (imp->val, imp->old, sizeof imp->val);
  if (imp->val[P_CEND].s == NULL || strncmp (imp->val[P_CEND].s, end.s, 10) > 0)
    imp->val[P_CEND] = end;
  if (imp->val[P_CSTART].s && strncmp (imp->val[P_CEND].s, imp->val[P_CSTART].s, 10) < 0)
    imp->val[P_CEND] = imp->val[P_CSTART];
  imp->val[P_ELIG] = static_cell ("terminated");
  return commit_row (imp, FALSE, &imp->result->terminated, error);
}

static gboolean
apply_terminate (Import  *imp,
                 GError **error)
{
  Cell end = imp->val[P_CEND].s ? imp->val[P_CEND] : static_cell (imp->termination_date);

  if (imp->old_rowid == 0)
    {
      reject (imp, imp->col[T_MAINT] >= 0 ? T_MAINT : -1,
              g_strdup (_("there is no such person to terminate")));
      return TRUE;
    }
  if (cell_is (imp->old[P_ELIG], "terminated"))
    {
      imp->result->unchanged++;
      return TRUE;
    }
  return terminate_old (imp, end, error);
}

/* Unmapped fields keep their stored values; a new person is eligible and not enrolled
 * unless the file says otherwise; someone terminated who is listed again comes back. */
static void
merge_row (Import     *imp,
           const char *maintenance)
{
  gboolean exists = imp->old_rowid != 0;
  gboolean returning = exists && cell_is (imp->old[P_ELIG], "terminated");

  for (int i = 0; i < P_N; i++)
    if (i != P_PARTNER && !field_mapped (imp, i))
      imp->val[i] = exists ? imp->old[i] : (Cell) { NULL, 0 };
  if (!field_mapped (imp, P_ELIG) && (!exists || returning))
    {
      gboolean ended = imp->val[P_CEND].s && strcmp (imp->val[P_CEND].s, imp->today) < 0;

      if (returning && !field_mapped (imp, P_CEND))
        imp->val[P_CEND].s = NULL, ended = FALSE;
      imp->val[P_ELIG] = static_cell (ended ? "terminated" : "eligible");
    }
  if (!exists && imp->val[P_ELIG].s == NULL)
    imp->val[P_ELIG] = static_cell ("eligible");
  if (!exists && imp->val[P_ENROLL].s == NULL)
    imp->val[P_ENROLL] = static_cell ("not_enrolled");
  if (strcmp (maintenance, "reinstate") == 0)
    {
      imp->val[P_ELIG] = static_cell ("eligible");
      imp->val[P_CEND].s = NULL;
      imp->val[P_CEND].len = 0;
    }
}

static gboolean
apply_row (Import      *imp,
           const char  *maintenance,
           GError     **error)
{
  Cell start, end;

  if (imp->old_rowid)
    mark_seen (imp, imp->old_rowid);
  if (strcmp (maintenance, "terminate") == 0)
    return apply_terminate (imp, error);
  merge_row (imp, maintenance);
  start = imp->val[P_CSTART];
  end = imp->val[P_CEND];
  if (start.s && end.s && memcmp (end.s, start.s, MIN (end.len, start.len)) < 0)
    {
      g_autofree char *s = cell_dup (start);
      g_autofree char *e = cell_dup (end);

      reject (imp, imp->col[T_CEND] >= 0 ? T_CEND : T_CSTART,
              g_strdup_printf (_("coverage ends on %s, before it starts on %s"), e, s));
      return TRUE;
    }
  return commit_row (imp, TRUE, imp->old_rowid ? &imp->result->updated : &imp->result->created,
                     error);
}

static gboolean
process_row (Import      *imp,
             const char **fields,
             guint        present,
             GError     **error)
{
  const char *maintenance = "add";

  imp->row_rejected = FALSE;
  if (!read_row (imp, fields, present, &maintenance, error))
    return FALSE;
  if (imp->row_rejected)
    {
      /* A rejected row still names its person: a full file must not end their coverage. */
      if (imp->val[P_MEMBER].s && imp->val[P_REL].s && imp->val[P_FIRST].s && imp->val[P_DOB].s)
        {
          if (!find_person (imp, error))
            return FALSE;
          if (imp->old_rowid)
            mark_seen (imp, imp->old_rowid);
        }
      imp->result->rejected++;
      return TRUE;
    }
  if (imp->use_known && unchanged_known (imp, maintenance))
    return TRUE;
  if (!find_person (imp, error) || !apply_row (imp, maintenance, error))
    return FALSE;
  if (imp->row_rejected)
    imp->result->rejected++;
  return TRUE;
}

/* Reading the file. One pass checks and applies each row as it is read; what a first
 * pass over the whole file would have told is learnt on the way: a key seen before is a
 * duplicate at once, a dependent whose employee has not come yet waits (its fields kept)
 * until the end of the file, and dates are read in a provisional order. When the file
 * turns out to use another order, or too many dependents wait, the pass is undone and the
 * file read twice: first dates, keys and employees, then the rows. */

static void
scan_date (Import      *imp,
           Cell         c,
           PdDateOrder *order)
{
  const guint dm = (1u << PD_DATE_ORDER_MDY) | (1u << PD_DATE_ORDER_DMY);
  DateScan *scan = &imp->scan;
  gboolean shaped;
  guint fits;

  if (c.s == NULL)
    return;
  fits = _pd_date_fitting_orders (c.s, c.len, &shaped) & dm;
  if (fits == 0)
    return;
  scan->and_mask &= fits;
  scan->n_dm++;
  scan->n_mdy += (fits >> PD_DATE_ORDER_MDY) & 1;
  scan->n_dmy += (fits >> PD_DATE_ORDER_DMY) & 1;
  if (fits == dm && imp->ambiguous_example == NULL)
    imp->ambiguous_example = cell_dup (c);
  /* Read differently by MM/DD/YYYY and DD/MM/YYYY (DD.MM.YYYY is read one way). */
  if (memchr (c.s, '.', c.len) != NULL)
    return;
  if (scan->n_dependent++ == 0 && imp->order_provisional)
    *order = fits == dm ? *order : fits == (1u << PD_DATE_ORDER_DMY)
                                   ? PD_DATE_ORDER_DMY : PD_DATE_ORDER_MDY;
}

static gboolean
decide_date_order (Import       *imp,
                   PdDateOrder  *order,
                   GError      **error)
{
  const guint both = (1u << PD_DATE_ORDER_MDY) | (1u << PD_DATE_ORDER_DMY);
  DateScan *scan = &imp->scan;

  if (imp->options->date_order != PD_DATE_ORDER_AUTO)
    *order = imp->options->date_order;
  else if (scan->n_dm == 0)
    *order = PD_DATE_ORDER_YMD;
  else if ((scan->and_mask & both) == both)
    {
      if (imp->saved_order == PD_DATE_ORDER_MDY || imp->saved_order == PD_DATE_ORDER_DMY)
        {
          *order = imp->saved_order;
          return TRUE;
        }
      g_set_error (error, PD_ERROR, PD_ERROR_AMBIGUOUS_DATES,
                   _("The dates in this file fit both month/day/year and day/month/year "
                     "(for example “%s”). Choose the order of the dates; nothing was changed."),
                   imp->ambiguous_example ? imp->ambiguous_example : "");
      return FALSE;
    }
  else if (scan->and_mask & (1u << PD_DATE_ORDER_MDY))
    *order = PD_DATE_ORDER_MDY;
  else if (scan->and_mask & (1u << PD_DATE_ORDER_DMY))
    *order = PD_DATE_ORDER_DMY;
  else
    *order = scan->n_mdy >= scan->n_dmy ? PD_DATE_ORDER_MDY : PD_DATE_ORDER_DMY;
  return TRUE;
}

/* Dates, the key and the employees of the row on LINE, in the order of the file; *ORDER is
 * the provisional date order, *FIRST the line of an earlier row with the same key (or 0). */
static void
scan_row_at (Import      *imp,
             const char **fields,
             guint        line,
             PdDateOrder *order,
             guint       *first)
{
  Cell c[N_TARGETS];

  for (int t = T_MEMBER; t <= T_CEND; t++)
    {
      Cell none = { NULL, 0 };

      c[t] = imp->col[t] >= 0 ? trim_cell (fields[imp->col[t]]) : none;
    }
  *first = 0;
  scan_date (imp, c[T_DOB], order);
  scan_date (imp, c[T_CSTART], order);
  scan_date (imp, c[T_CEND], order);
  if (c[T_MEMBER].s)
    {
      gsize len = MIN (c[T_MEMBER].len, sizeof imp->prev_member);
      int cmp = memcmp (c[T_MEMBER].s, imp->prev_member, MIN (len, imp->prev_member_len));

      if (cmp < 0 || (cmp == 0 && len < imp->prev_member_len))
        imp->descents++;
      memcpy (imp->prev_member, c[T_MEMBER].s, len);
      imp->prev_member_len = len;
    }
  if (c[T_MEMBER].s && c[T_FIRST].s && c[T_DOB].s)
    {
      hash_set_add (&imp->keys, row_key (c[T_MEMBER], c[T_REL], c[T_FIRST], c[T_DOB]),
                    line, first);
      if (*first)
        g_hash_table_insert (imp->duplicates, GUINT_TO_POINTER (line),
                             GUINT_TO_POINTER (*first));
    }
  if (c[T_MEMBER].s && c[T_REL].s
      && g_strcmp0 (_pd_normalize_relationship (c[T_REL].s, c[T_REL].len), "employee") == 0)
    hash_set_add (&imp->employees, member_key (c[T_MEMBER]), line, NULL);
}

static void
scan_row (Import      *imp,
          const char **fields)
{
  guint first;

  scan_row_at (imp, fields, imp->line, &imp->order, &first);
}

/* The employee's member ID of a dependent's row (unset for an employee's row, or when
 * the row names none). */
static Cell
dependent_employee (Import      *imp,
                    const char **fields)
{
  Cell rel = imp->col[T_REL] >= 0 ? trim_cell (fields[imp->col[T_REL]]) : (Cell) { NULL, 0 };
  const char *nick = rel.s ? _pd_normalize_relationship (rel.s, rel.len) : NULL;

  if (nick == NULL || strcmp (nick, "employee") == 0 || imp->col[T_EMP] < 0)
    return (Cell) { NULL, 0 };
  return trim_cell (fields[imp->col[T_EMP]]);
}

/* Whether the row is a dependent whose employee is among the rows scanned so far. */
static gboolean
employee_in_file (Import      *imp,
                  const char **fields)
{
  Cell employee = dependent_employee (imp, fields);

  return employee.s && hash_set_contains (&imp->employees, member_key (employee));
}

/* Counts a row read; checks cancellation and reports progress now and then. */
static gboolean
row_read (Import  *imp,
          double   fraction,
          guint   *n,
          GError **error)
{
  if ((++*n & 255) != 0)
    return TRUE;
  if (!check_cancelled (imp, error))
    return FALSE;
  report (imp, fraction, FALSE);
  return TRUE;
}

static gboolean
reader_done (Import   *imp,
             GError   *local_error,
             GError  **error)
{
  if (local_error)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return check_cancelled (imp, error);
}

static gboolean
pass_one (Import         *imp,
          PdTableReader  *reader,
          GError        **error)
{
  GError *local_error = NULL;
  const char **fields;
  guint present, n = 0;

  while (pd_table_reader_next (reader, &fields, &present, &imp->line, &local_error))
    {
      imp->result->rows++;
      if (!row_read (imp, reader_fraction (reader), &n, error))
        return FALSE;
      scan_row (imp, fields);
    }
  return reader_done (imp, local_error, error)
         && decide_date_order (imp, &imp->order, error);
}

static gboolean drop_indexes (Import *imp, guint64 rows, GError **error);
static gboolean check_member_order (Import *imp, GError **error);

static gboolean
pass_two (Import  *imp,
          GError **error)
{
  g_autoptr(PdTableReader) reader = open_reader (imp, error);
  GError *local_error = NULL;
  const char **fields;
  guint present, n = 0;

  if (reader == NULL || !drop_indexes (imp, imp->result->rows, error))
    return FALSE;
  while (pd_table_reader_next (reader, &fields, &present, &imp->line, &local_error))
    {
      if (!row_read (imp, reader_fraction (reader), &n, error) || !process_row (imp, fields, present, error))
        return FALSE;
    }
  return reader_done (imp, local_error, error);
}

/* *WAIT: the row is a dependent whose employee is neither among the rows read so far nor
 * in the database. FALSE on a database error. */
static gboolean
employee_not_yet_known (Import      *imp,
                        const char **fields,
                        gboolean    *wait,
                        GError     **error)
{
  Cell employee = dependent_employee (imp, fields);
  g_autoptr(GError) local_error = NULL;

  *wait = FALSE;
  if (employee.s == NULL || employee_seen (imp, employee)
      || employee_in_database (imp, employee, &local_error))
    return TRUE;
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *wait = TRUE;
  return TRUE;
}

/* Keeps a row for the end of the pass: its line, its count of fields, its fields. */
static void
defer_row (Import      *imp,
           const char **fields,
           guint        present)
{
  guint32 head[2] = { imp->line, present };

  g_byte_array_append (imp->deferred, (const guint8 *) head, sizeof head);
  for (guint i = 0; i < imp->n_columns; i++)
    g_byte_array_append (imp->deferred, (const guint8 *) fields[i], strlen (fields[i]) + 1);
  imp->n_deferred++;
}

static gboolean
process_deferred (Import  *imp,
                  GError **error)
{
  g_autofree const char **fields = g_new0 (const char *, imp->n_columns + 1);
  const guint8 *p = imp->deferred->data;

  for (guint r = 0; r < imp->n_deferred; r++)
    {
      guint32 head[2];

      memcpy (head, p, sizeof head);
      p += sizeof head;
      for (guint i = 0; i < imp->n_columns; i++)
        {
          fields[i] = (const char *) p;
          p += strlen (fields[i]) + 1;
        }
      imp->line = head[0];
      if ((r & 255) == 0 && !check_cancelled (imp, error))
        return FALSE;
      if (!process_row (imp, fields, head[1], error))
        return FALSE;
    }
  return TRUE;
}

/* Dependents kept for the end of the file beyond this: read the file twice instead. */
#define MAX_DEFERRED_BYTES (32 * 1024 * 1024)

typedef enum { ONE_PASS_FAILED, ONE_PASS_DONE, ONE_PASS_RETRY } OnePass;

/* How many rows the file has, about, after N rows read (n = 4096: the estimate is taken
 * once, by whichever thread reads the rows). */
static guint64
estimate_rows (PdTableReader *reader,
               guint          n)
{
  return pd_table_reader_get_size (reader) * n / MAX (pd_table_reader_get_position (reader), 1);
}

/* Room for the keys of a file of about ROWS rows, made once rather than grown. */
static void
reserve_keys (Import  *imp,
              guint64  rows)
{
  gsize room = (gsize) MIN (rows, 16 * 1024 * 1024);

  hash_set_reserve (&imp->keys, room);
  hash_set_reserve (&imp->employees, room / 2);
}

/* What a row read in one pass becomes: imported now, or kept for the end of the file when
 * its employee has not come yet (too many kept: read the file twice). */
static OnePass
take_row (Import      *imp,
          const char **fields,
          guint        present,
          GError     **error)
{
  gboolean wait = FALSE;

  if (!employee_not_yet_known (imp, fields, &wait, error))
    return ONE_PASS_FAILED;
  if (!wait)
    return process_row (imp, fields, present, error) ? ONE_PASS_DONE : ONE_PASS_FAILED;
  defer_row (imp, fields, present);
  return imp->deferred->len > MAX_DEFERRED_BYTES ? ONE_PASS_RETRY : ONE_PASS_DONE;
}

static OnePass
one_pass_rows (Import         *imp,
               PdTableReader  *reader,
               GError        **error)
{
  GError *local_error = NULL;
  const char **fields;
  guint present, n = 0;

  while (pd_table_reader_next (reader, &fields, &present, &imp->line, &local_error))
    {
      OnePass taken;

      imp->result->rows++;
      if (n == 4096)
        {
          guint64 rows = estimate_rows (reader, n);

          reserve_keys (imp, rows);
          if (!drop_indexes (imp, rows, error))
            return ONE_PASS_FAILED;
        }
      if ((n & 0xFFFF) == 0 && n > 0 && !check_member_order (imp, error))
        return ONE_PASS_FAILED;
      if (!row_read (imp, reader_fraction (reader), &n, error))
        return ONE_PASS_FAILED;
      scan_row (imp, fields);
      if ((taken = take_row (imp, fields, present, error)) != ONE_PASS_DONE)
        return taken;
    }
  if (!reader_done (imp, local_error, error) || !process_deferred (imp, error))
    return ONE_PASS_FAILED;
  return ONE_PASS_DONE;
}

/* A partner with people: a thread reads and scans the rows (CSV, dates, keys, employees)
 * while this one compares and writes them, in batches. While it runs only it touches the
 * scan's state (imp->scan, the key and employee sets, imp->duplicates); each row carries
 * what they said of it, as the sequential pass would have seen them at that row. */
#define PREP_ROWS 512
#define PREP_BATCHES 4

typedef struct {
  guint32 line;
  guint32 present;
  guint32 dup_first;
  guint8  employee_in_file;
  guint8  order;
} PrepRow;

typedef struct {
  GByteArray *data;      /* per row: a PrepRow, then its n_columns fields NUL-terminated */
  guint       n_rows;
  double      fraction;  /* of the file read after the batch */
} PrepBatch;

typedef struct {
  Import        *imp;
  PdTableReader *reader;
  GThread       *thread;
  GMutex         lock;
  GCond          cond;
  GQueue         full;   /* PrepBatch*, read, for the importing thread */
  GQueue         spare;  /* PrepBatch*, to fill */
  gboolean       done;   /* no more rows (error: why) */
  gboolean       quit;
  GError        *error;
  PdDateOrder    order;
} Prep;

static PrepBatch *
prep_next_spare (Prep *p)
{
  PrepBatch *b;

  g_mutex_lock (&p->lock);
  while (!p->quit && g_queue_is_empty (&p->spare))
    g_cond_wait (&p->cond, &p->lock);
  b = p->quit ? NULL : g_queue_pop_head (&p->spare);
  g_mutex_unlock (&p->lock);
  return b;
}

static gpointer
prep_thread (gpointer data)
{
  Prep *p = data;
  Import *imp = p->imp;
  GError *error = NULL;
  gboolean more = TRUE;
  guint n = 0;

  while (more)
    {
      PrepBatch *b = prep_next_spare (p);
      const char **fields;
      guint present, line = 0;

      if (b == NULL)
        return NULL;
      g_byte_array_set_size (b->data, 0);
      b->n_rows = 0;
      while (b->n_rows < PREP_ROWS
             && (more = pd_table_reader_next (p->reader, &fields, &present, &line, &error)))
        {
          PrepRow row = { line, present, 0, 0, 0 };

          if (++n == 4096)
            reserve_keys (imp, estimate_rows (p->reader, n));
          scan_row_at (imp, fields, line, &p->order, &row.dup_first);
          row.employee_in_file = employee_in_file (imp, fields);
          row.order = (guint8) p->order;
          g_byte_array_append (b->data, (const guint8 *) &row, sizeof row);
          for (guint i = 0; i < imp->n_columns; i++)
            g_byte_array_append (b->data, (const guint8 *) fields[i], strlen (fields[i]) + 1);
          b->n_rows++;
        }
      b->fraction = reader_fraction (p->reader);
      g_mutex_lock (&p->lock);
      g_queue_push_tail (&p->full, b);
      if (!more)
        {
          p->done = TRUE;
          p->error = error;
        }
      g_cond_broadcast (&p->cond);
      g_mutex_unlock (&p->lock);
    }
  return NULL;
}

static void
prep_batch_free (gpointer data)
{
  PrepBatch *b = data;

  g_byte_array_unref (b->data);
  g_free (b);
}

/* The row loop of one_pass_rows with a reading thread; without one, one_pass_rows. */
static OnePass
prep_pass_rows (Import         *imp,
                PdTableReader  *reader,
                GError        **error)
{
  g_autofree const char **fields = g_new0 (const char *, imp->n_columns + 1);
  OnePass result = ONE_PASS_DONE;
  Prep p = { 0 };
  guint n = 0;

  p.imp = imp;
  p.reader = reader;
  p.order = imp->order;
  g_mutex_init (&p.lock);
  g_cond_init (&p.cond);
  for (guint i = 0; i < PREP_BATCHES; i++)
    {
      PrepBatch *b = g_new0 (PrepBatch, 1);

      b->data = g_byte_array_sized_new (PREP_ROWS * 256);
      g_queue_push_tail (&p.spare, b);
    }
  p.thread = g_thread_try_new ("pd-import-read", prep_thread, &p, NULL);
  if (p.thread == NULL)
    result = one_pass_rows (imp, reader, error);
  imp->prep_active = p.thread != NULL;
  while (imp->prep_active)
    {
      PrepBatch *b;
      const guint8 *at;

      g_mutex_lock (&p.lock);
      while (g_queue_is_empty (&p.full) && !p.done)
        g_cond_wait (&p.cond, &p.lock);
      b = g_queue_pop_head (&p.full);
      g_mutex_unlock (&p.lock);
      if (b == NULL)
        break;
      at = b->data->data;
      for (guint r = 0; r < b->n_rows && result == ONE_PASS_DONE; r++)
        {
          PrepRow row;

          memcpy (&row, at, sizeof row);
          at += sizeof row;
          for (guint i = 0; i < imp->n_columns; i++)
            {
              fields[i] = (const char *) at;
              at += strlen (fields[i]) + 1;
            }
          imp->line = row.line;
          imp->order = (PdDateOrder) row.order;
          imp->row_dup_first = row.dup_first;
          imp->row_employee_in_file = row.employee_in_file;
          imp->result->rows++;
          result = row_read (imp, b->fraction, &n, error)
                   ? take_row (imp, fields, row.present, error) : ONE_PASS_FAILED;
        }
      g_mutex_lock (&p.lock);
      g_queue_push_tail (&p.spare, b);
      g_cond_broadcast (&p.cond);
      g_mutex_unlock (&p.lock);
      if (result != ONE_PASS_DONE)
        break;
    }
  if (p.thread)
    {
      g_mutex_lock (&p.lock);
      p.quit = TRUE;
      g_cond_broadcast (&p.cond);
      g_mutex_unlock (&p.lock);
      g_thread_join (p.thread);
      imp->prep_active = FALSE;
      if (result == ONE_PASS_DONE
          && (!reader_done (imp, g_steal_pointer (&p.error), error)
              || !process_deferred (imp, error)))
        result = ONE_PASS_FAILED;
    }
  g_clear_error (&p.error);
  g_queue_clear_full (&p.full, prep_batch_free);
  g_queue_clear_full (&p.spare, prep_batch_free);
  g_mutex_clear (&p.lock);
  g_cond_clear (&p.cond);
  return result;
}

static int
compare_rejections (gconstpointer a,
                    gconstpointer b)
{
  const PdImportRejection *ra = *(PdImportRejection * const *) a;
  const PdImportRejection *rb = *(PdImportRejection * const *) b;

  return (ra->line > rb->line) - (ra->line < rb->line);
}

/* The date order is known now: rejected dates name the right format. */
static void
fix_date_hints (Import *imp)
{
  for (guint i = 0; i < imp->hinted->len; i++)
    {
      Hinted *h = &g_array_index (imp->hinted, Hinted, i);
      PdImportRejection *r = g_ptr_array_index (imp->result->rejections, h->index);

      g_free (r->reason);
      r->reason = g_strdup_printf (_("“%s” is not a date (expected %s)"), h->text,
                                   date_hint (imp->order));
    }
}

static OnePass
one_pass (Import         *imp,
          PdTableReader  *reader,
          GError        **error)
{
  PdDateOrder order;
  OnePass done;

  imp->order_provisional = imp->options->date_order == PD_DATE_ORDER_AUTO;
  imp->order = imp->options->date_order != PD_DATE_ORDER_AUTO ? imp->options->date_order
               : imp->saved_order == PD_DATE_ORDER_DMY ? PD_DATE_ORDER_DMY : PD_DATE_ORDER_MDY;
  done = imp->partner_has_people ? prep_pass_rows (imp, reader, error)
                                 : one_pass_rows (imp, reader, error);
  if (done != ONE_PASS_DONE)
    return done;
  if (!decide_date_order (imp, &order, error))
    return ONE_PASS_FAILED;
  if (order != imp->order && imp->scan.n_dependent > 0)
    return ONE_PASS_RETRY;
  /* The first rejections in line order are kept: the waiting rows came last. */
  if (imp->n_deferred > 0 && imp->result->rejections->len >= MAX_REJECTIONS)
    return ONE_PASS_RETRY;
  imp->order = order;
  fix_date_hints (imp);
  if (imp->n_deferred > 0)
    g_ptr_array_sort (imp->result->rejections, compare_rejections);
  imp->order_provisional = FALSE;
  return ONE_PASS_DONE;
}

/* Forgets what the undone pass counted and learnt. */
static void
reset_pass (Import *imp)
{
  PdImportResult *r = imp->result;

  r->rows = r->created = r->updated = r->unchanged = r->terminated = r->rejected = 0;
  g_ptr_array_set_size (r->rejections, 0);
  g_array_set_size (imp->hinted, 0);
  g_byte_array_set_size (imp->deferred, 0);
  imp->n_deferred = 0;
  if (imp->seen)
    memset (imp->seen, 0, imp->seen_size);
  hash_set_clear (&imp->keys);
  hash_set_clear (&imp->employees);
  hash_set_init (&imp->keys, 1024);
  hash_set_init (&imp->employees, 1024);
  g_hash_table_remove_all (imp->duplicates);
  imp->scan = (DateScan) { ~0u, 0, 0, 0, 0 };
  g_clear_pointer (&imp->ambiguous_example, g_free);
  imp->order_provisional = FALSE;
  imp->indexes_dropped = 0;
  imp->bulk = FALSE;
  imp->descents = 0;
  imp->prev_member_len = 0;
  batch_reset (&imp->person_batch);
  batch_reset (&imp->change_batch);
}

/* The writer is idle after this; its failure fails a pass that went well. */
static OnePass
writer_settle (Import   *imp,
               OnePass   done,
               GError  **error)
{
  g_autoptr(GError) local_error = NULL;

  if (writer_wait (imp, &local_error) || done == ONE_PASS_FAILED)
    return done;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return ONE_PASS_FAILED;
}

/* The rows of the file, checked and (unless a dry run) applied. */
static gboolean
read_rows (Import         *imp,
           PdTableReader  *reader,
           GError        **error)
{
  const char *phase = imp->dry_run ? _("Comparing with the stored people")
                                   : _("Importing people");
  OnePass done;

  set_phase (imp, phase, 0.0, 0.85);
  if (!_pd_store_exec (imp->store, "SAVEPOINT pd_import_one_pass", error))
    return FALSE;
  done = one_pass (imp, reader, error);
  done = writer_settle (imp, done, error);
  if (done == ONE_PASS_RETRY)
    {
      double at = imp->progress_from + (imp->progress_to - imp->progress_from)
                  * reader_fraction (reader);

      g_autoptr(PdTableReader) again = NULL;

      sqlite3_exec (imp->store->db, "ROLLBACK TO pd_import_one_pass", NULL, NULL, NULL);
      reset_pass (imp);
      set_phase (imp, _("Checking the file"), at, at + (0.85 - at) * 0.2);
      again = open_reader (imp, error);
      if (again == NULL || !pass_one (imp, again, error))
        done = ONE_PASS_FAILED;
      else
        {
          set_phase (imp, phase, imp->progress_to, 0.85);
          done = pass_two (imp, error) ? ONE_PASS_DONE : ONE_PASS_FAILED;
          done = writer_settle (imp, done, error);
        }
    }
  sqlite3_exec (imp->store->db, "RELEASE pd_import_one_pass", NULL, NULL, NULL);
  return done == ONE_PASS_DONE;
}

/* Full mode: everyone of the partner the file did not list, not yet terminated. */

static gboolean
collect_missing (Import   *imp,
                 GArray   *rowids,
                 guint    *eligible_missing,
                 GError  **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  *eligible_missing = 0;
  if (!imp->partner_has_people)
    return TRUE;
  if (imp->use_known)
    {
      for (guint i = 0; i < imp->known.people->len; i++)
        {
          Known *k = &g_array_index (imp->known.people, Known, i);
          gint64 rowid = k->rowid;

          if (was_seen (imp, rowid) || k->flags & KNOWN_TERMINATED)
            continue;
          g_array_append_val (rowids, rowid);
          *eligible_missing += (k->flags & KNOWN_ELIGIBLE) != 0;
        }
      return TRUE;
    }
  stmt = _pd_store_prepare (imp->store, "SELECT rowid, eligibility_status = 'eligible' "
                            "FROM persons WHERE partner_id = ?1 AND deleted = 0 "
                            "AND eligibility_status IS NOT 'terminated' AND rowid <= ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, imp->partner_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, imp->max_rowid_before);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 rowid = sqlite3_column_int64 (stmt, 0);

      if (was_seen (imp, rowid))
        continue;
      g_array_append_val (rowids, rowid);
      *eligible_missing += sqlite3_column_int (stmt, 1);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (imp->store, rc, error);
      return FALSE;
    }
  return TRUE;
}

static guint
guard_percent (Import *imp)
{
  g_autofree char *text = pd_store_get_setting (imp->store, "import_guard_percent");
  guint64 value = 20;

  if (text && !g_ascii_string_to_unsigned (text, 10, 0, 100, &value, NULL))
    value = 20;
  return (guint) value;
}

static gboolean
check_guard (Import   *imp,
             guint     eligible_missing,
             GError  **error)
{
  guint limit = guard_percent (imp);
  double share;

  if (imp->options->flags & PD_IMPORT_FLAG_CONFIRM_GUARD || eligible_missing == 0
      || imp->eligible_before == 0)
    return TRUE;
  share = 100.0 * eligible_missing / (double) imp->eligible_before;
  if ((guint64) eligible_missing * 100 <= (guint64) limit * (guint64) imp->eligible_before)
    return TRUE;
  g_set_error (error, PD_ERROR, PD_ERROR_GUARD,
               _("This file would terminate %'u of %'lld eligible people "
                 "(%.1f %%), more than the %u %% limit. Nothing was changed; confirm to "
                 "import it anyway."),
               eligible_missing, (long long) imp->eligible_before, share, limit);
  return FALSE;
}

static gboolean
terminate_missing (Import  *imp,
                   GError **error)
{
  g_autoptr(GArray) rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  Cell end = static_cell (imp->termination_date);
  guint eligible_missing = 0;

  set_phase (imp, _("Ending coverage"), 0.9, 0.95);
  if (!collect_missing (imp, rowids, &eligible_missing, error)
      || !check_guard (imp, eligible_missing, error))
    return FALSE;
  for (guint i = 0; i < rowids->len; i++)
    {
      g_autoptr(PdStmt) stmt = prepare (imp, ST_BY_ROWID, person_sql ()->by_rowid, error);

      if (stmt == NULL)
        return FALSE;
      if ((i & 255) == 0)
        {
          if (!check_cancelled (imp, error))
            return FALSE;
          report (imp, (double) i / rowids->len, FALSE);
        }
      sqlite3_bind_int64 (stmt, 1, g_array_index (rowids, gint64, i));
      if (sqlite3_step (stmt) != SQLITE_ROW)
        continue;
      load_old (imp, stmt);
      _pd_stmt_release (stmt);
      arena_reserve (imp, 64);
      if (!terminate_old (imp, end, error))
        return FALSE;
    }
  return flush_batches (imp, error);
}

/* The upload: its record (one audit entry with the counts), its bytes and its rejections. */

/* The upload's copy. While the rows are read, a thread compresses the file's bytes
 * (Zstandard level 1: a fifth of a census's size at a third of the CPU time gzip -1 takes,
 * which matters on two cores busy with the rows) into an unlinked temporary file; they go
 * into upload_files at the end with encoding "zstd". Should that fail (no temporary
 * directory), the raw bytes are stored instead, encoding NULL. Copies stored by earlier
 * versions are "gzip" or raw; all three are read. */
struct _Packer {
  GThread       *thread;
  char          *path;
  GBytes        *bytes;
  GFileIOStream *tmp;
  GCancellable  *cancellable; /* stops the thread when the import ends early */
  guint64        raw_size;
  GError        *error;
  ZSTD_CCtx     *zstd;
  guint8        *packed;      /* ZSTD_CStreamOutSize () bytes */
};

#define COPY_CHUNK (1 << 20)

/* LEN bytes of DATA compressed into OUT; END finishes the frame. */
static gboolean
pack_write (Packer         *p,
            GOutputStream  *out,
            const guint8   *data,
            gsize           len,
            gboolean        end,
            GError        **error)
{
  ZSTD_inBuffer in = { data, len, 0 };
  size_t left;

  do
    {
      ZSTD_outBuffer packed = { p->packed, ZSTD_CStreamOutSize (), 0 };

      left = ZSTD_compressStream2 (p->zstd, &packed, &in, end ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError (left))
        {
          g_set_error (error, PD_ERROR, PD_ERROR_INVALID, _("Could not compress the file: %s"),
                       ZSTD_getErrorName (left));
          return FALSE;
        }
      if (packed.pos > 0
          && !g_output_stream_write_all (out, p->packed, packed.pos, NULL, p->cancellable, error))
        return FALSE;
    }
  while (end ? left != 0 : in.pos < in.size);
  return TRUE;
}

static gboolean
pack_source (Packer         *p,
             GOutputStream  *out,
             GError        **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autofree guint8 *buffer = NULL;
  gsize got = 0;

  if (p->path == NULL)
    {
      const guint8 *data = g_bytes_get_data (p->bytes, &got);

      p->raw_size = got;
      return pack_write (p, out, data, got, TRUE, error);
    }
  file = g_file_new_for_path (p->path);
  in = g_file_read (file, p->cancellable, error);
  if (in == NULL)
    return FALSE;
  buffer = g_malloc (COPY_CHUNK);
  do
    {
      if (!g_input_stream_read_all (G_INPUT_STREAM (in), buffer, COPY_CHUNK, &got,
                                    p->cancellable, error)
          || !pack_write (p, out, buffer, got, got == 0, error))
        return FALSE;
      p->raw_size += got;
    }
  while (got > 0);
  return TRUE;
}

static gpointer
packer_thread (gpointer data)
{
  Packer *p = data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (p->tmp));

#ifdef __linux__
  /* The copy can wait: it takes the time the rows leave over (checking the file, building
   * the indexes, committing), and runs at full speed only if the end waits for it. */
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 19);
#endif

  p->zstd = ZSTD_createCCtx ();
  p->packed = g_malloc (ZSTD_CStreamOutSize ());
  if (p->zstd == NULL
      || ZSTD_isError (ZSTD_CCtx_setParameter (p->zstd, ZSTD_c_compressionLevel, 1)))
    g_set_error_literal (&p->error, PD_ERROR, PD_ERROR_INVALID, _("Could not compress the file."));
  else
    pack_source (p, out, &p->error);
  g_clear_pointer (&p->zstd, ZSTD_freeCCtx);
  g_clear_pointer (&p->packed, g_free);
  return NULL;
}

static void
packer_free (Packer *p)
{
  if (p == NULL)
    return;
  if (p->thread)
    {
      g_cancellable_cancel (p->cancellable);
      g_thread_join (p->thread);
    }
  g_clear_object (&p->tmp);
  g_clear_object (&p->cancellable);
  g_clear_pointer (&p->bytes, g_bytes_unref);
  g_clear_error (&p->error);
  g_free (p->path);
  g_free (p);
}

/* NULL when no thread or temporary file could be had. */
static Packer *
packer_start (Import *imp)
{
  g_autoptr(GFileIOStream) tmp = NULL;
  g_autoptr(GFile) file = g_file_new_tmp ("pd-upload-XXXXXX.zst", &tmp, NULL);
  Packer *p;

  if (file == NULL)
    return NULL;
  /* Patient data: no name on disk, gone with the process whatever happens. */
  g_file_delete (file, NULL, NULL);
  p = g_new0 (Packer, 1);
  p->path = g_strdup (imp->path);
  p->bytes = imp->path ? NULL : g_bytes_ref (imp->bytes);
  p->tmp = g_steal_pointer (&tmp);
  p->cancellable = g_cancellable_new ();
  p->thread = g_thread_try_new ("pd-import-copy", packer_thread, p, NULL);
  if (p->thread == NULL)
    g_clear_pointer (&p, packer_free);
  return p;
}

/* Waits for the thread: TRUE when it compressed exactly SIZE bytes. */
static gboolean
packer_finish (Packer  *p,
               guint64  size)
{
  if (p->thread)
    g_thread_join (g_steal_pointer (&p->thread));
  return p->error == NULL && p->raw_size == size;
}

static sqlite3_blob *
insert_blob (Import      *imp,
             guint64      size,
             const char  *encoding,
             GError     **error)
{
  g_autoptr(PdStmt) stmt = NULL;
  sqlite3 *db = imp->store->db;
  sqlite3_blob *blob = NULL;
  int rc;

  if (size > G_MAXINT)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                   _("The file is larger than 2 GB; Partner Desk cannot keep a copy of it."));
      return NULL;
    }
  stmt = _pd_store_prepare (imp->store, "INSERT INTO upload_files (upload_id, content, encoding) "
                            "VALUES (?1, zeroblob (?2), ?3)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, imp->result->upload_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) size);
  sqlite3_bind_text (stmt, 3, encoding, -1, SQLITE_STATIC);
  if (!step (imp, stmt, error))
    return NULL;
  rc = sqlite3_blob_open (db, "main", "upload_files", "content", sqlite3_last_insert_rowid (db),
                          1, &blob);
  if (rc != SQLITE_OK)
    {
      _pd_store_set_error (imp->store, rc, error);
      return NULL;
    }
  return blob;
}

/* SIZE bytes of IN into BLOB. */
static gboolean
copy_into_blob (Import        *imp,
                GInputStream  *in,
                sqlite3_blob  *blob,
                guint64        size,
                GError       **error)
{
  g_autofree guint8 *buffer = g_malloc (COPY_CHUNK);
  guint64 done = 0;

  while (done < size)
    {
      gsize got = 0;
      int rc;

      if (!g_input_stream_read_all (in, buffer, MIN (size - done, COPY_CHUNK), &got,
                                    imp->cancellable, error))
        return FALSE;
      if (got == 0)
        break;
      rc = sqlite3_blob_write (blob, buffer, (int) got, (int) done);
      if (rc != SQLITE_OK)
        {
          _pd_store_set_error (imp->store, rc, error);
          return FALSE;
        }
      done += got;
    }
  if (done != size)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                   _("The file changed while it was imported; nothing was changed."));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_raw_copy (Import   *imp,
                guint64   size,
                GError  **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  sqlite3_blob *blob = insert_blob (imp, size, NULL, error);
  gboolean ok;

  if (blob == NULL)
    return FALSE;
  if (imp->path == NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (imp->bytes, &len);
      int rc = len ? sqlite3_blob_write (blob, data, (int) len, 0) : SQLITE_OK;

      sqlite3_blob_close (blob);
      if (rc != SQLITE_OK)
        _pd_store_set_error (imp->store, rc, error);
      return rc == SQLITE_OK;
    }
  file = g_file_new_for_path (imp->path);
  in = g_file_read (file, imp->cancellable, error);
  ok = in != NULL && copy_into_blob (imp, G_INPUT_STREAM (in), blob, size, error);
  sqlite3_blob_close (blob);
  return ok;
}

static gboolean
write_packed_copy (Import   *imp,
                   Packer   *p,
                   GError  **error)
{
  goffset packed = g_seekable_tell (G_SEEKABLE (p->tmp));
  sqlite3_blob *blob;
  gboolean ok;

  if (!g_seekable_seek (G_SEEKABLE (p->tmp), 0, G_SEEK_SET, imp->cancellable, error))
    return FALSE;
  blob = insert_blob (imp, (guint64) packed, "zstd", error);
  if (blob == NULL)
    return FALSE;
  ok = copy_into_blob (imp, g_io_stream_get_input_stream (G_IO_STREAM (p->tmp)), blob,
                       (guint64) packed, error);
  sqlite3_blob_close (blob);
  return ok;
}

static gboolean
write_upload_file (Import   *imp,
                   guint64   size,
                   GError  **error)
{
  gboolean packed = imp->packer && packer_finish (imp->packer, size);

  return packed ? write_packed_copy (imp, imp->packer, error) : write_raw_copy (imp, size, error);
}

static gboolean
write_rejections (Import  *imp,
                  GError **error)
{
  GPtrArray *rejections = imp->result->rejections;

  for (guint i = 0; i < rejections->len; i++)
    {
      PdImportRejection *r = g_ptr_array_index (rejections, i);
      g_autoptr(PdStmt) stmt = _pd_store_prepare (imp->store,
                                                  "INSERT INTO upload_errors (upload_id, line, "
                                                  "column_name, reason) VALUES (?1, ?2, ?3, ?4)",
                                                  error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, imp->result->upload_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, r->line);
      sqlite3_bind_text (stmt, 3, r->column, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, r->reason, -1, SQLITE_STATIC);
      if (!step (imp, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_upload (Import         *imp,
              PdRecord       *upload,
              PdTableReader  *reader,
              GError        **error)
{
  PdImportResult *r = imp->result;
  g_autofree char *summary = pd_import_result_summary_line (r);
  const char *actor = _pd_store_get_actor_name (imp->store);

  set_phase (imp, _("Saving the upload"), 0.95, 1.0);
  pd_record_set_string (upload, "partner_id", imp->partner_id);
  pd_record_set_string (upload, "file_name", r->file_name);
  pd_record_set_string (upload, "sha256", r->sha256);
  pd_record_set_string (upload, "mode", imp->options->mode == PD_IMPORT_MODE_FULL
                                          ? "full" : "incremental");
  pd_record_set_string (upload, "format", r->format == PD_FILE_FORMAT_X12_834 ? "x12_834" : "csv");
  pd_record_set_string (upload, "encoding", pd_table_reader_get_encoding (reader));
  pd_record_set_int (upload, "size", (gint64) pd_table_reader_get_size (reader));
  if (imp->options->mode == PD_IMPORT_MODE_FULL)
    pd_record_set_string (upload, "termination_date", imp->termination_date);
  pd_record_set_int (upload, "rows", r->rows);
  pd_record_set_int (upload, "created", r->created);
  pd_record_set_int (upload, "updated", r->updated);
  pd_record_set_int (upload, "unchanged", r->unchanged);
  pd_record_set_int (upload, "terminated", r->terminated);
  pd_record_set_int (upload, "rejected", r->rejected);
  pd_record_set_string (upload, "who", actor ? actor : "");
  return _pd_store_insert_record (imp->store, upload, summary, error)
         && write_upload_file (imp, pd_table_reader_get_size (reader), error)
         && write_rejections (imp, error);
}

/* Mapping */

static char *
join_quoted (char **items)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; items && items[i]; i++)
    /* TRANSLATORS: a column name in a list: “Date of Birth” */
    g_string_append_printf (text, "%s%s", i ? ", " : "", items[i]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
needs_mapping_error (PdImportMapping  *mapping,
                     GError          **error)
{
  g_auto(GStrv) missing = pd_import_mapping_dup_missing (mapping);
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autofree char *wanted = NULL;
  g_autofree char *columns = NULL;

  if (missing[0] == NULL)
    return TRUE;
  for (guint i = 0; missing[i]; i++)
    g_ptr_array_add (labels, (gpointer) pd_import_target_label (missing[i]));
  g_ptr_array_add (labels, NULL);
  wanted = join_quoted ((char **) labels->pdata);
  columns = join_quoted (mapping->header);
  g_set_error (error, PD_ERROR, PD_ERROR_NEEDS_MAPPING,
               _("No column of the file was matched to: %s. Choose the columns for them "
                 "(the file has: %s); nothing was changed."),
               wanted, columns);
  return FALSE;
}

static gboolean
mapping_changed_error (const PdImportMapping  *saved,
                       const char * const     *header,
                       GError                **error)
{
  g_auto(GStrv) added = NULL;
  g_auto(GStrv) removed = NULL;
  g_autofree char *added_text = NULL;
  g_autofree char *removed_text = NULL;

  _pd_import_header_diff ((const char * const *) saved->header, header, &added, &removed);
  added_text = join_quoted (added);
  removed_text = join_quoted (removed);
  if (added[0] == NULL && removed[0] == NULL)
    g_set_error (error, PD_ERROR, PD_ERROR_MAPPING_CHANGED,
                 _("The columns of this file are in a different order than in the mapping "
                   "saved for this partner. Check the mapping; nothing was changed."));
  else
    g_set_error (error, PD_ERROR, PD_ERROR_MAPPING_CHANGED,
                 _("The columns of this file differ from the mapping saved for this partner "
                   "(new: %s; missing: %s). Check the mapping; nothing was changed."),
                 added[0] ? added_text : _("none"), removed[0] ? removed_text : _("none"));
  return FALSE;
}

static gboolean
resolve_mapping (Import             *imp,
                 const char * const *header,
                 GError            **error)
{
  g_autoptr(PdImportMapping) saved = pd_import_load_mapping (imp->store, imp->partner_id,
                                                             &imp->saved_order);

  if (imp->options->mapping)
    {
      if (!_pd_import_mapping_same_header (imp->options->mapping, header))
        return mapping_changed_error (imp->options->mapping, header, error);
      imp->mapping = pd_import_mapping_copy (imp->options->mapping);
      imp->mapping_given = TRUE;
    }
  else if (saved && !_pd_import_mapping_same_header (saved, header))
    return mapping_changed_error (saved, header, error);
  else if (saved)
    imp->mapping = g_steal_pointer (&saved);
  else
    imp->mapping = pd_import_mapping_new_auto (header);
  if (!needs_mapping_error (imp->mapping, error))
    return FALSE;
  imp->n_columns = imp->mapping->n_columns;
  for (int t = 0; t < N_TARGETS; t++)
    imp->col[t] = -1;
  for (guint i = 0; i < imp->n_columns; i++)
    if (imp->mapping->target[i] >= 0)
      imp->col[imp->mapping->target[i]] = (int) i;
  return TRUE;
}

/* Setup and teardown */

static void
import_clear (Import *imp)
{
  hash_set_clear (&imp->keys);
  hash_set_clear (&imp->employees);
  g_clear_pointer (&imp->duplicates, g_hash_table_unref);
  known_clear (&imp->known);
  g_clear_pointer (&imp->hinted, g_array_unref);
  g_clear_pointer (&imp->deferred, g_byte_array_unref);
  g_clear_pointer (&imp->packer, packer_free);
  g_clear_pointer (&imp->writer, writer_free);
  batch_clear (&imp->person_batch);
  batch_clear (&imp->change_batch);
  g_clear_pointer (&imp->mapping, pd_import_mapping_free);
  g_clear_pointer (&imp->seen, g_free);
  if (imp->json)
    g_string_free (imp->json, TRUE);
  g_free (imp->arena);
  g_free (imp->old_buf);
  g_free (imp->ambiguous_example);
  g_free (imp->date_example);
}

static gboolean
check_partner (Import  *imp,
               GError **error)
{
  g_autoptr(PdRecord) partner = pd_store_get (imp->store, &pd_partner_type, imp->partner_id,
                                              NULL);

  if (partner && !pd_record_get_deleted (partner))
    return TRUE;
  g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND, _("The partner does not exist."));
  return FALSE;
}

static gboolean
check_duplicate (Import  *imp,
                 GError **error)
{
  g_autofree char *message = NULL;
  g_autofree char *id = NULL;

  if (imp->options->flags & PD_IMPORT_FLAG_CONFIRM_DUPLICATE)
    return TRUE;
  id = _pd_import_find_duplicate (imp->store, imp->partner_id, imp->result->sha256, &message);
  if (id == NULL)
    return TRUE;
  g_set_error (error, PD_ERROR, PD_ERROR_DUPLICATE_FILE,
               _("%s Nothing was changed; confirm to import it again."), message);
  return FALSE;
}

static gint64
query_count (Import      *imp,
             const char  *sql)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (imp->store, sql, NULL);

  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, imp->partner_id, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
}

static void
hinted_clear (gpointer data)
{
  g_free (((Hinted *) data)->text);
}

static void
init_import (Import                *imp,
             PdStore               *store,
             const char            *partner_id,
             const PdImportOptions *options)
{
  g_autofree char *now = pd_timestamp_now ();

  imp->store = store;
  imp->partner_id = partner_id;
  imp->options = options;
  imp->dry_run = (options->flags & PD_IMPORT_FLAG_DRY_RUN) != 0;
  imp->duplicates = g_hash_table_new (NULL, NULL);
  imp->json = g_string_sized_new (1024);
  imp->scan = (DateScan) { ~0u, 0, 0, 0, 0 };
  imp->hinted = g_array_new (FALSE, FALSE, sizeof (Hinted));
  g_array_set_clear_func (imp->hinted, hinted_clear);
  imp->deferred = g_byte_array_new ();
  batch_init (&imp->person_batch, person_sql ()->insert, person_sql ()->tuple);
  batch_init (&imp->change_batch, "INSERT INTO change_log (key, collection, record_id, "
              "base_version, deleted, payload, created_at) VALUES ", "(?, 'person', ?, ?, 0, ?, ?)");
  hash_set_init (&imp->keys, 1024);
  hash_set_init (&imp->employees, 1024);
  imp->uuid_ms = (guint64) (g_get_real_time () / 1000);
  imp->uuid_counter = ((guint64) g_random_int () << 8);
  g_strlcpy (imp->now, now, sizeof imp->now);
  _pd_date_today (imp->today);
  if (options->termination_date && _pd_date_is_iso (options->termination_date))
    g_strlcpy (imp->termination_date, options->termination_date, sizeof imp->termination_date);
  else
    memcpy (imp->termination_date, imp->today, sizeof imp->today);
  imp->result = g_new0 (PdImportResult, 1);
  imp->result->rejections = g_ptr_array_new_with_free_func (g_free);
  imp->result->dry_run = imp->dry_run;
  imp->result->mode = options->mode;
}

static void
rejection_free (gpointer data)
{
  PdImportRejection *r = data;

  g_free (r->column);
  g_free (r->reason);
  g_free (r);
}

/* Whether the rows so far came in member ID order (a few out of place allowed). */
static gboolean
in_member_order (Import *imp)
{
  return (guint64) imp->descents * 64 <= imp->result->rows;
}

static gboolean
drop_person_index (Import   *imp,
                   guint     i,
                   GError  **error)
{
  g_autofree char *sql = g_strdup_printf ("DROP INDEX IF EXISTS %s",
                                          _pd_store_person_indexes[i][0]);

  if (!_pd_store_exec (imp->store, sql, error))
    return FALSE;
  imp->indexes_dropped |= 1u << i;
  return TRUE;
}

/* A big file into a partner without people: drop the persons indexes now and build them
 * once at the end, all inside the transaction (a rollback restores them). Only when the
 * file is at least as big as the table, as rebuilding reads the whole table. A file in
 * member ID order (as exports usually are) keeps persons_identity: its entries are then
 * appended, on the writer thread, for less than a sorted build costs at the end; should
 * the order break later, check_member_order drops it after all. */
static gboolean
drop_indexes (Import   *imp,
              guint64   rows,
              GError  **error)
{
  gint64 total;

  if (imp->dry_run || imp->partner_has_people || rows < 10000)
    return TRUE;
  if (!flush_batches (imp, error))
    return FALSE;
  total = query_count (imp, "SELECT count(*) FROM persons WHERE ?1 IS NOT NULL");
  if (total > (gint64) rows)
    return TRUE;
  for (guint i = 0; _pd_store_person_indexes[i][0]; i++)
    if (!(strcmp (_pd_store_person_indexes[i][0], "persons_identity") == 0
          && in_member_order (imp))
        && !drop_person_index (imp, i, error))
      return FALSE;
  /* The outbox's index by record is only read by synchronisation, which makes it again
   * before it pushes (pd_store_sync_ensure_outbox_index): not kept up to date for a
   * change-log entry per person here. */
  if (!_pd_store_exec (imp->store, "DROP INDEX IF EXISTS change_log_record", error))
    return FALSE;
  imp->bulk = TRUE;
  return TRUE;
}

/* A bulk load that kept persons_identity for rows in member ID order: drops it when they
 * no longer are. */
static gboolean
check_member_order (Import  *imp,
                    GError **error)
{
  if (!imp->bulk || in_member_order (imp))
    return TRUE;
  for (guint i = 0; _pd_store_person_indexes[i][0]; i++)
    if (!(imp->indexes_dropped & (1u << i))
        && (!flush_batches (imp, error) || !drop_person_index (imp, i, error)))
      return FALSE;
  return TRUE;
}

static gboolean
rebuild_indexes (Import  *imp,
                 GError **error)
{
  gint64 cache_size;
  g_autofree char *restore = NULL;
  guint n = 0;
  gboolean ok = TRUE;

  if (!imp->indexes_dropped)
    return TRUE;
  cache_size = query_count (imp, "PRAGMA cache_size");
  restore = g_strdup_printf ("PRAGMA threads = 0; PRAGMA cache_size = %" G_GINT64_FORMAT,
                             cache_size ? cache_size : -2000);
  while (_pd_store_person_indexes[n][0])
    n++;
  set_phase (imp, _("Indexing people"), 0.85, 0.9);
  /* The sorter of CREATE INDEX sorts runs of the cache's size; smaller runs, sorted by a
   * helper thread while the table is read, are faster and keep the memory down (4 MB runs:
   * about 0.1 s less than 8 MB for a million people). */
  sqlite3_exec (imp->store->db, "PRAGMA threads = 2; PRAGMA cache_size = -4096", NULL, NULL,
                NULL);
  for (guint i = 0; ok && i < n; i++)
    {
      if (!(imp->indexes_dropped & (1u << i)))
        continue;
      ok = check_cancelled (imp, error)
           && _pd_store_exec (imp->store, _pd_store_person_indexes[i][1], error);
      if (ok)
        imp->indexes_dropped &= ~(1u << i);
      report (imp, (double) (i + 1) / n, FALSE);
    }
  sqlite3_exec (imp->store->db, restore, NULL, NULL, NULL);
  return ok;
}

/* The pages written so far start on their way to the disk now, while the indexes are
 * built and the missing people terminated, rather than all inside the commit's fsync (a
 * machine with memory to spare holds them back until then). Durability is unchanged: the
 * commit still syncs. */
static void
start_writeback (Import *imp)
{
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
  const char *suffixes[] = { "", "-wal", "-journal" };

  if (imp->store->path == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (imp->store->path, suffixes[i], NULL);
      int fd = open (path, O_RDONLY | O_CLOEXEC);

      if (fd < 0)
        continue;
      sync_file_range (fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      close (fd);
    }
#endif
}

/* Everything after the file checks, inside the transaction. */
static gboolean
import_locked (Import         *imp,
               PdRecord       *upload,
               PdTableReader  *reader,
               GError        **error)
{
  PdDateOrder order_to_save;

  imp->partner_has_people = query_count (imp, "SELECT count(*) FROM (SELECT 1 FROM persons "
                                              "WHERE partner_id = ?1 LIMIT 1)") > 0;
  find_mapped_fields (imp);
  imp->use_known = imp->partner_has_people && want_known (imp);
  if (imp->use_known && !load_known (imp, error))
    return FALSE;
  if (!imp->dry_run && imp->packer == NULL)
    imp->packer = packer_start (imp);
  if (!imp->use_known)
    imp->eligible_before = query_count (imp, "SELECT count(*) FROM persons WHERE partner_id = ?1 "
                                             "AND deleted = 0 AND eligibility_status = 'eligible'");
  imp->max_rowid_before = query_count (imp, "SELECT coalesce (max (rowid), 0) FROM persons "
                                            "WHERE ?1 IS NOT NULL");
  if (!imp->dry_run && !imp->partner_has_people)
    writer_start (imp);
  if (!read_rows (imp, reader, error) || !flush_batches (imp, error))
    return FALSE;
  /* What pass one learnt is used up: make room for the index sorter. */
  hash_set_clear (&imp->keys);
  hash_set_clear (&imp->employees);
  g_hash_table_remove_all (imp->duplicates);
  if (!imp->dry_run)
    start_writeback (imp);
  if (!rebuild_indexes (imp, error))
    return FALSE;
  if (imp->options->mode == PD_IMPORT_MODE_FULL && !terminate_missing (imp, error))
    return FALSE;
  if (imp->dry_run)
    return TRUE;
  start_writeback (imp);
  if (imp->options->flags & PD_IMPORT_FLAG_ALL_OR_NOTHING && imp->result->rejected > 0)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < MIN (imp->result->rejections->len, 5); i++)
        {
          g_autofree char *line = pd_import_rejection_describe (g_ptr_array_index (imp->result->rejections, i));

          g_string_append_printf (text, "\n%s", line);
        }
      g_set_error (error, PD_ERROR, PD_ERROR_REJECTED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "%u row was rejected, so nothing was imported (all or nothing):%s",
                                "%u rows were rejected, so nothing was imported (all or nothing):%s",
                                imp->result->rejected),
                   imp->result->rejected, text->str);
      return FALSE;
    }
  order_to_save = imp->options->date_order != PD_DATE_ORDER_AUTO ? imp->options->date_order
                  : imp->order == PD_DATE_ORDER_YMD ? imp->saved_order : imp->order;
  return write_upload (imp, upload, reader, error)
         && pd_import_save_mapping (imp->store, imp->partner_id, imp->mapping, order_to_save,
                                    error);
}

static gboolean
import_checked (Import         *imp,
                PdTableReader  *reader,
                GError        **error)
{
  g_autoptr(PdRecord) upload = pd_record_new (&pd_upload_type);
  gboolean outer = imp->store->depth == 0;

  if (!imp->dry_run)
    imp->result->upload_id = g_strdup (pd_record_get_id (upload));
  if (imp->dry_run)
    {
      /* One read transaction: a consistent picture, and no write lock. */
      if (outer && !_pd_store_exec (imp->store, "BEGIN DEFERRED", error))
        return FALSE;
      if (!import_locked (imp, upload, reader, error))
        {
          if (outer)
            sqlite3_exec (imp->store->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
      if (outer)
        sqlite3_exec (imp->store->db, "ROLLBACK", NULL, NULL, NULL);
      return TRUE;
    }
  if (!_pd_store_begin (imp->store, error))
    return FALSE;
  if (!import_locked (imp, upload, reader, error))
    {
      _pd_store_rollback (imp->store);
      return FALSE;
    }
  set_phase (imp, _("Saving the upload"), 0.98, 1.0);
  return _pd_store_commit (imp->store, error);
}

PdImportResult *
_pd_import_run_on_store (PdStore                *store,
                         const char             *partner_id,
                         const char             *path,
                         GBytes                 *bytes,
                         const PdImportOptions  *options,
                         GCancellable           *cancellable,
                         PdImportProgressFunc    progress,
                         gpointer                progress_data,
                         GError                **error)
{
  Import imp = { 0 };
  PdImportOptions defaults;
  g_autoptr(PdTableReader) reader = NULL;
  g_autoptr(PdImportResult) result = NULL;
  gboolean ok;

  if (options == NULL)
    {
      pd_import_options_init (&defaults);
      options = &defaults;
    }
  init_import (&imp, store, partner_id, options);
  result = imp.result;
  g_ptr_array_set_free_func (result->rejections, rejection_free);
  imp.path = path;
  imp.bytes = bytes;
  imp.cancellable = cancellable;
  imp.progress = progress;
  imp.progress_data = progress_data;
  set_phase (&imp, _("Opening the file"), 0.0, 0.0);
  ok = check_partner (&imp, error);
  /* From now on: the copy is compressed while the file is checked and read (and thrown
   * away if the import stops). For a partner with people, from when they have been read
   * (import_locked): reading them takes both cores, comparing the rows leaves one idle. */
  if (ok && !imp.dry_run
      && query_count (&imp, "SELECT count(*) FROM (SELECT 1 FROM persons "
                            "WHERE partner_id = ?1 LIMIT 1)") == 0)
    imp.packer = packer_start (&imp);
  ok = ok && (reader = open_reader (&imp, error)) != NULL;
  if (ok)
    {
      result->format = pd_table_reader_get_format (reader);
      result->sha256 = g_strdup (pd_table_reader_get_sha256 (reader));
      result->file_name = options->file_name ? g_strdup (options->file_name)
                          : path ? g_path_get_basename (path) : g_strdup ("upload.csv");
      ok = check_duplicate (&imp, error)
           && resolve_mapping (&imp, pd_table_reader_get_header (reader), error)
           && import_checked (&imp, reader, error);
    }
  result->date_order = imp.order;
  imp.result = NULL;
  import_clear (&imp);
  if (!ok)
    return NULL;
  report (&(Import) { .progress = progress, .progress_data = progress_data, .phase = _("Done"),
                      .progress_from = 1.0, .progress_to = 1.0 }, 1.0, TRUE);
  return g_steal_pointer (&result);
}

/* Public API */

void
pd_import_options_init (PdImportOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->mode = PD_IMPORT_MODE_INCREMENTAL;
  options->date_order = PD_DATE_ORDER_AUTO;
}

void
pd_import_result_free (PdImportResult *result)
{
  if (result == NULL)
    return;
  g_free (result->upload_id);
  g_free (result->sha256);
  g_free (result->file_name);
  g_clear_pointer (&result->rejections, g_ptr_array_unref);
  g_free (result);
}

char *
pd_import_result_summary_line (const PdImportResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);

  return g_strdup_printf ("created %u, updated %u, unchanged %u, terminated %u, rejected %u",
                          result->created, result->updated, result->unchanged,
                          result->terminated, result->rejected);
}

char *
pd_import_result_describe (const PdImportResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);

  /* TRANSLATORS: the counts of an import: "3 new, 1 updated, 10 unchanged, 0 terminated, 2 rejected" */
  return g_strdup_printf (_("%'u new, %'u updated, %'u unchanged, %'u terminated, %'u rejected"),
                          result->created, result->updated, result->unchanged,
                          result->terminated, result->rejected);
}

char *
pd_import_rejection_describe (const PdImportRejection *rejection)
{
  g_return_val_if_fail (rejection != NULL, NULL);

  if (rejection->column == NULL || *rejection->column == '\0')
    /* TRANSLATORS: "line 12: the row has 9 fields but the header has 8" */
    return g_strdup_printf (_("line %u: %s"), rejection->line, rejection->reason);
  /* TRANSLATORS: "line 12, column DOB: the date 2023-02-30 does not exist" */
  return g_strdup_printf (_("line %u, column %s: %s"), rejection->line, rejection->column,
                          rejection->reason);
}

/* The worker's own connection: bigger cache, no memory map (RSS stays small). Durability
 * is the store's: WAL, synchronous NORMAL. */
static void
tune_connection (PdStore *store)
{
  sqlite3_exec (store->db, "PRAGMA cache_size = -32768; PRAGMA mmap_size = 0; "
                "PRAGMA temp_store = FILE; PRAGMA journal_size_limit = 67108864",
                NULL, NULL, NULL);
}

static char *
journal_mode (PdStore    *store,
              const char *pragma)
{
  sqlite3_stmt *stmt = NULL;
  char *mode = NULL;

  if (sqlite3_prepare_v2 (store->db, pragma, -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return mode;
}

/* When no other connection has the database open (a scheduled headless import), the one
 * big transaction uses a rollback journal with full sync: new pages go straight into the
 * database file instead of through the WAL and a checkpoint that copies them again.
 * SQLite refuses the switch while another connection is open (the app is running):
 * then the import stays in WAL mode. Either way a crash rolls back. */
static gboolean
use_rollback_journal (PdStore *store)
{
  g_autofree char *mode = journal_mode (store, "PRAGMA journal_mode = DELETE");

  if (g_strcmp0 (mode, "delete") != 0)
    return FALSE;
  sqlite3_exec (store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
  return TRUE;
}

static void
restore_wal (PdStore *store)
{
  g_autofree char *mode = journal_mode (store, "PRAGMA journal_mode = WAL");

  sqlite3_exec (store->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  if (g_strcmp0 (mode, "wal") != 0)
    g_warning ("Could not switch the database back to WAL mode");
}

PdImportResult *
pd_import_run (const char             *db_path,
               const char             *partner_id,
               const char             *file_path,
               const PdImportOptions  *options,
               GCancellable           *cancellable,
               PdImportProgressFunc    progress,
               gpointer                progress_data,
               GError                **error)
{
  g_autoptr(PdStore) store = NULL;
  PdImportResult *result;
  gboolean rollback_journal;

  g_return_val_if_fail (db_path != NULL, NULL);
  g_return_val_if_fail (partner_id != NULL, NULL);
  g_return_val_if_fail (file_path != NULL, NULL);

  store = pd_store_open (db_path, error);
  if (store == NULL)
    return NULL;
  if (options && options->actor_id)
    pd_store_set_actor (store, options->actor_id);
  tune_connection (store);
  rollback_journal = use_rollback_journal (store);
  result = _pd_import_run_on_store (store, partner_id, file_path, NULL, options, cancellable,
                                    progress, progress_data, error);
  if (rollback_journal)
    restore_wal (store);
  return result;
}

/* Async */

typedef struct {
  char                 *db_path;
  char                 *partner_id;
  char                 *file_path;
  PdImportOptions       options;
  char                 *termination_date;
  char                 *file_name;
  char                 *actor_id;
  PdImportMapping      *mapping;
  PdImportProgressFunc  progress;
  gpointer              progress_data;
  GDestroyNotify        progress_data_destroy;
  GMainContext         *context;
} AsyncData;

static void
async_data_clear (gpointer data)
{
  AsyncData *d = data;

  g_free (d->db_path);
  g_free (d->partner_id);
  g_free (d->file_path);
  g_free (d->termination_date);
  g_free (d->file_name);
  g_free (d->actor_id);
  pd_import_mapping_free (d->mapping);
  if (d->progress_data_destroy)
    d->progress_data_destroy (d->progress_data);
  g_main_context_unref (d->context);
}

typedef struct {
  AsyncData *data;  /* a reference */
  double     fraction;
  char      *phase;
} ProgressPost;

static gboolean
progress_idle (gpointer user_data)
{
  ProgressPost *post = user_data;

  post->data->progress (post->fraction, post->phase, post->data->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_post_free (gpointer user_data)
{
  ProgressPost *post = user_data;

  g_atomic_rc_box_release_full (post->data, async_data_clear);
  g_free (post->phase);
  g_free (post);
}

static void
progress_in_thread (double      fraction,
                    const char *phase,
                    gpointer    user_data)
{
  AsyncData *data = user_data;
  ProgressPost *post = g_new0 (ProgressPost, 1);

  post->data = g_atomic_rc_box_acquire (data);
  post->fraction = fraction;
  post->phase = g_strdup (phase);
  g_main_context_invoke_full (data->context, G_PRIORITY_DEFAULT, progress_idle, post,
                              progress_post_free);
}

static void
run_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AsyncData *d = task_data;
  GError *error = NULL;
  PdImportResult *result;

  result = pd_import_run (d->db_path, d->partner_id, d->file_path, &d->options, cancellable,
                          d->progress ? progress_in_thread : NULL, d, &error);
  if (result)
    g_task_return_pointer (task, result, (GDestroyNotify) pd_import_result_free);
  else
    g_task_return_error (task, error);
}

static void
release_async_data (gpointer data)
{
  g_atomic_rc_box_release_full (data, async_data_clear);
}

void
pd_import_run_async (const char             *db_path,
                     const char             *partner_id,
                     const char             *file_path,
                     const PdImportOptions  *options,
                     GCancellable           *cancellable,
                     PdImportProgressFunc    progress,
                     gpointer                progress_data,
                     GDestroyNotify          progress_data_destroy,
                     GAsyncReadyCallback     callback,
                     gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  AsyncData *d;

  g_return_if_fail (db_path != NULL && partner_id != NULL && file_path != NULL);

  d = g_atomic_rc_box_new0 (AsyncData);
  d->db_path = g_strdup (db_path);
  d->partner_id = g_strdup (partner_id);
  d->file_path = g_strdup (file_path);
  if (options)
    d->options = *options;
  else
    pd_import_options_init (&d->options);
  d->termination_date = g_strdup (d->options.termination_date);
  d->file_name = g_strdup (d->options.file_name);
  d->actor_id = g_strdup (d->options.actor_id);
  d->mapping = d->options.mapping ? pd_import_mapping_copy (d->options.mapping) : NULL;
  d->options.termination_date = d->termination_date;
  d->options.file_name = d->file_name;
  d->options.actor_id = d->actor_id;
  d->options.mapping = d->mapping;
  d->progress = progress;
  d->progress_data = progress_data;
  d->progress_data_destroy = progress_data_destroy;
  d->context = g_main_context_ref_thread_default ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pd_import_run_async);
  g_task_set_task_data (task, d, release_async_data);
  /* A cancelled import reports G_IO_ERROR_CANCELLED itself, after its rollback. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

PdImportResult *
pd_import_run_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Error reports and the stored file */

static void
csv_field (GString    *out,
           const char *text)
{
  if (text == NULL)
    return;
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

gboolean
pd_import_write_rejections_csv (GPtrArray   *rejections,
                                const char  *path,
                                GError     **error)
{
  g_autoptr(GString) out = g_string_new ("line,column,reason\r\n");

  g_return_val_if_fail (rejections != NULL && path != NULL, FALSE);

  for (guint i = 0; i < rejections->len; i++)
    {
      PdImportRejection *r = g_ptr_array_index (rejections, i);

      g_string_append_printf (out, "%u,", r->line);
      csv_field (out, r->column);
      g_string_append_c (out, ',');
      csv_field (out, r->reason);
      g_string_append (out, "\r\n");
    }
  return g_file_set_contents (path, out->str, (gssize) out->len, error);
}

GPtrArray *
pd_upload_list_rejections (PdStore     *store,
                           const char  *upload_id,
                           GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (rejection_free);
  g_autoptr(PdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (store) && upload_id != NULL, NULL);

  stmt = _pd_store_prepare (store, "SELECT line, column_name, reason FROM upload_errors "
                            "WHERE upload_id = ?1 ORDER BY line, rowid", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, upload_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PdImportRejection *r = g_new0 (PdImportRejection, 1);

      r->line = (guint) sqlite3_column_int64 (stmt, 0);
      r->column = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      r->reason = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      g_ptr_array_add (list, r);
    }
  if (rc != SQLITE_DONE)
    {
      _pd_store_set_error (store, rc, error);
      return NULL;
    }
  return g_steal_pointer (&list);
}

static gboolean
copy_blob (sqlite3_blob   *blob,
           GOutputStream  *out,
           GError        **error)
{
  g_autofree guint8 *buffer = g_malloc (COPY_CHUNK);
  int size = sqlite3_blob_bytes (blob);

  for (int offset = 0; offset < size;)
    {
      int n = MIN (size - offset, COPY_CHUNK);
      int rc = sqlite3_blob_read (blob, buffer, n, offset);

      if (rc != SQLITE_OK)
        {
          g_set_error (error, PD_ERROR, PD_ERROR_DATABASE, _("Database error: %s"),
                       sqlite3_errstr (rc));
          return FALSE;
        }
      if (!g_output_stream_write_all (out, buffer, (gsize) n, NULL, NULL, error))
        return FALSE;
      offset += n;
    }
  return TRUE;
}

/* A stored copy's encoding (upload_files.encoding). */
typedef enum {
  COPY_RAW,  /* NULL: uploads from before schema 5 */
  COPY_GZIP, /* "gzip": schema 5 */
  COPY_ZSTD, /* "zstd" */
} CopyEncoding;

/* The stored bytes of UPLOAD_ID: *ROWID in upload_files and *ENCODING. */
static gboolean
find_upload_file (PdStore       *store,
                  const char    *upload_id,
                  gint64        *rowid,
                  CopyEncoding  *encoding,
                  GError       **error)
{
  g_autoptr(PdStmt) stmt = _pd_store_prepare (store, "SELECT rowid, encoding FROM upload_files "
                                              "WHERE upload_id = ?1", error);
  const char *name;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, upload_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_NOT_FOUND,
                   _("The original file of this upload is not stored."));
      return FALSE;
    }
  *rowid = sqlite3_column_int64 (stmt, 0);
  name = (const char *) sqlite3_column_text (stmt, 1);
  *encoding = name == NULL ? COPY_RAW : strcmp (name, "zstd") == 0 ? COPY_ZSTD : COPY_GZIP;
  return TRUE;
}

/* BLOB (a Zstandard frame) decompressed into OUT. */
static gboolean
copy_blob_zstd (sqlite3_blob   *blob,
                GOutputStream  *out,
                GError        **error)
{
  g_autofree guint8 *buffer = g_malloc (COPY_CHUNK);
  g_autofree guint8 *plain = g_malloc (ZSTD_DStreamOutSize ());
  ZSTD_DCtx *zstd = ZSTD_createDCtx ();
  int size = sqlite3_blob_bytes (blob);
  size_t left = 1;
  gboolean ok = zstd != NULL;

  for (int offset = 0; ok && offset < size;)
    {
      int n = MIN (size - offset, COPY_CHUNK);
      int rc = sqlite3_blob_read (blob, buffer, n, offset);
      ZSTD_inBuffer in = { buffer, (size_t) n, 0 };

      if (rc != SQLITE_OK)
        {
          g_set_error (error, PD_ERROR, PD_ERROR_DATABASE, _("Database error: %s"),
                       sqlite3_errstr (rc));
          ok = FALSE;
          break;
        }
      while (ok && in.pos < in.size)
        {
          ZSTD_outBuffer o = { plain, ZSTD_DStreamOutSize (), 0 };

          left = ZSTD_decompressStream (zstd, &o, &in);
          if (ZSTD_isError (left))
            break;
          ok = g_output_stream_write_all (out, plain, o.pos, NULL, NULL, error);
        }
      if (ZSTD_isError (left))
        break;
      offset += n;
    }
  ZSTD_freeDCtx (zstd);
  if (ok && left != 0)
    {
      g_set_error (error, PD_ERROR, PD_ERROR_INVALID,
                   _("The stored copy of this file is damaged."));
      ok = FALSE;
    }
  return ok;
}

gboolean
pd_upload_save_copy (PdStore     *store,
                     const char  *upload_id,
                     const char  *dest_path,
                     GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GOutputStream) plain = NULL;
  sqlite3_blob *blob = NULL;
  gint64 rowid = 0;
  CopyEncoding encoding = COPY_RAW;
  gboolean existed, ok;
  int rc;

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);
  g_return_val_if_fail (upload_id != NULL && dest_path != NULL, FALSE);

  if (!find_upload_file (store, upload_id, &rowid, &encoding, error))
    return FALSE;
  rc = sqlite3_blob_open (store->db, "main", "upload_files", "content", rowid, 0, &blob);
  if (rc != SQLITE_OK)
    {
      _pd_store_set_error (store, rc, error);
      return FALSE;
    }
  file = g_file_new_for_path (dest_path);
  existed = g_file_query_exists (file, NULL);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (out != NULL && encoding == COPY_GZIP)
    {
      g_autoptr(GZlibDecompressor) zlib = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);

      plain = g_converter_output_stream_new (G_OUTPUT_STREAM (out), G_CONVERTER (zlib));
    }
  else if (out != NULL)
    plain = g_object_ref (G_OUTPUT_STREAM (out));
  ok = plain != NULL
       && (encoding == COPY_ZSTD ? copy_blob_zstd (blob, plain, error)
                                 : copy_blob (blob, plain, error))
       && g_output_stream_close (plain, NULL, error);
  sqlite3_blob_close (blob);
  if (!ok && out != NULL)
    {
      /* A cancelled close leaves a file that was there as it was; a new one goes. */
      g_autoptr(GCancellable) stop = g_cancellable_new ();

      g_cancellable_cancel (stop);
      g_output_stream_close (plain ? plain : G_OUTPUT_STREAM (out), stop, NULL);
      if (!existed)
        g_file_delete (file, NULL, NULL);
    }
  return ok;
}

typedef struct {
  char *db_path;
  char *upload_id;
  char *dest_path;
} SaveCopy;

static void
save_copy_free (gpointer data)
{
  SaveCopy *c = data;

  g_free (c->db_path);
  g_free (c->upload_id);
  g_free (c->dest_path);
  g_free (c);
}

static void
save_copy_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SaveCopy *c = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PdStore) store = pd_store_open_read_only (c->db_path, &error);

  if (store == NULL || !pd_upload_save_copy (store, c->upload_id, c->dest_path, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
pd_upload_save_copy_async (PdStore             *store,
                           const char          *upload_id,
                           const char          *dest_path,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SaveCopy *c = g_new0 (SaveCopy, 1);

  g_return_if_fail (PD_IS_STORE (store) && upload_id != NULL && dest_path != NULL);

  c->db_path = g_strdup (pd_store_get_path (store));
  c->upload_id = g_strdup (upload_id);
  c->dest_path = g_strdup (dest_path);
  g_task_set_source_tag (task, pd_upload_save_copy_async);
  g_task_set_task_data (task, c, save_copy_free);
  g_task_run_in_thread (task, save_copy_thread);
}

gboolean
pd_upload_save_copy_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
