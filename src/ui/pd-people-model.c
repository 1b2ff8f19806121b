/* pd-people-model.c: a lazy GListModel of a partner's people: row ids of the result, a few cached
 * pages. */
#include "config.h"

#include "pd-people-model.h"

#define RELOAD_DELAY_MS 150
/* A new result first shows this many rows: GTK 4.8's list view makes widgets for up to
 * 200 rows at once (eleven cells each, ~80 ms), so the screenful comes first and the rest
 * right after the frame. */
#define FIRST_ROWS 48

/* A cached page: records and the row ids they were fetched for. */
typedef struct
{
  GPtrArray *rows;   /* PdRecord */
  GArray    *rowids; /* gint64 */
} Page;

static void
page_free (gpointer data)
{
  Page *page = data;

  g_ptr_array_unref (page->rows);
  g_array_unref (page->rowids);
  g_free (page);
}

static Page *
page_new (GPtrArray *rows, const gint64 *rowids, guint n)
{
  Page *page = g_new0 (Page, 1);

  page->rows = rows;
  page->rowids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_array_append_vals (page->rowids, rowids, n);
  return page;
}

struct _PdPeopleModel
{
  GObject parent_instance;

  /* Owned References */
  PdStore        *store;
  PdPeopleFilter *filter;
  GArray         *rowids; /* gint64: the result in display order (or its first page) */
  GHashTable     *pages;  /* page index -> Page */
  GQueue          lru;    /* page indices, most recent first */
  GCancellable   *first_cancellable;
  GCancellable   *full_cancellable;

  guint    generation; /* of the running query; older answers are dropped */
  guint    n_eligible;
  guint    n_fetches;
  guint    reload_source;
  guint    reveal_source;
  GArray  *first_page; /* row ids of the first page, while only FIRST_ROWS show */
  gboolean loading;
  gboolean complete;
};

enum
{
  PROP_0,
  PROP_LOADING,
  PROP_COMPLETE,
  PROP_N_ELIGIBLE,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  LOADED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void pd_people_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PdPeopleModel, pd_people_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      pd_people_model_list_model_init))

/* Pages */

static void
forget_pages (PdPeopleModel *self)
{
  g_hash_table_remove_all (self->pages);
  g_queue_clear (&self->lru);
}

static void
touch_page (PdPeopleModel *self, guint page)
{
  GList *link = g_queue_find (&self->lru, GUINT_TO_POINTER (page));

  if (link != NULL)
    g_queue_unlink (&self->lru, link), g_list_free (link);
  g_queue_push_head (&self->lru, GUINT_TO_POINTER (page));
  while (g_queue_get_length (&self->lru) > PD_PEOPLE_MODEL_MAX_PAGES)
    g_hash_table_remove (self->pages, g_queue_pop_tail (&self->lru));
}

static void schedule_reload (PdPeopleModel *self);

/* A row that vanished since the result was computed shows empty until the reload. */
static PdRecord *
placeholder (PdPeopleModel *self)
{
  schedule_reload (self);
  return pd_record_new (&pd_person_type);
}

static Page *
fetch_page (PdPeopleModel *self, guint page)
{
  guint      start = page * PD_PEOPLE_MODEL_PAGE_SIZE;
  guint      n = MIN (PD_PEOPLE_MODEL_PAGE_SIZE, self->rowids->len - start);
  GPtrArray *rows;

  self->n_fetches++;
  rows = pd_people_query_fetch (self->store, &g_array_index (self->rowids, gint64, start), n, NULL);
  if (rows == NULL)
    rows = g_ptr_array_new_full (n, g_object_unref);
  g_ptr_array_set_size (rows, n);
  for (guint i = 0; i < n; i++)
    if (g_ptr_array_index (rows, i) == NULL)
      g_ptr_array_index (rows, i) = placeholder (self);
  return page_new (rows, &g_array_index (self->rowids, gint64, start), n);
}

static GPtrArray *
get_page (PdPeopleModel *self, guint index)
{
  Page *page = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (index));

  if (page == NULL)
    {
      page = fetch_page (self, index);
      g_hash_table_insert (self->pages, GUINT_TO_POINTER (index), page);
    }
  touch_page (self, index);
  return page->rows;
}

/* GListModel */

static GType
pd_people_model_get_item_type (GListModel *model)
{
  return PD_TYPE_RECORD;
}

static guint
pd_people_model_get_n_items (GListModel *model)
{
  return PD_PEOPLE_MODEL (model)->rowids->len;
}

static gpointer
pd_people_model_get_item (GListModel *model, guint position)
{
  PdPeopleModel *self = PD_PEOPLE_MODEL (model);
  GPtrArray     *rows;

  if (position >= self->rowids->len)
    return NULL;
  rows = get_page (self, position / PD_PEOPLE_MODEL_PAGE_SIZE);
  return g_object_ref (g_ptr_array_index (rows, position % PD_PEOPLE_MODEL_PAGE_SIZE));
}

static void
pd_people_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = pd_people_model_get_item_type;
  iface->get_n_items = pd_people_model_get_n_items;
  iface->get_item = pd_people_model_get_item;
}

/* Applying a result */

typedef struct
{
  guint  position;
  gint64 version;
} CachedItem;

/* Positions and versions of the cached records, to find those whose content changed. */
static GArray *
remember_cached (PdPeopleModel *self)
{
  GArray        *cached = g_array_new (FALSE, FALSE, sizeof (CachedItem));
  GHashTableIter iter;
  gpointer       key, value;

  g_hash_table_iter_init (&iter, self->pages);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *rows = ((Page *)value)->rows;

      for (guint i = 0; i < rows->len; i++)
        {
          CachedItem item = { GPOINTER_TO_UINT (key) * PD_PEOPLE_MODEL_PAGE_SIZE + i,
                              pd_record_get_version (g_ptr_array_index (rows, i)) };

          g_array_append_val (cached, item);
        }
    }
  return cached;
}

/* After a reload: items that kept their place (shifted by the change) but were saved
 * again are announced one by one. */
static void
announce_changed_content (PdPeopleModel *self, GArray *cached, guint prefix, guint removed,
                          guint added)
{
  for (guint i = 0; i < cached->len; i++)
    {
      CachedItem *item = &g_array_index (cached, CachedItem, i);
      guint       position = item->position;
      g_autoptr (PdRecord) now = NULL;

      if (position >= prefix && position < prefix + removed)
        continue;
      if (position >= prefix)
        position = position - removed + added;
      if (position >= self->rowids->len)
        continue;
      now = pd_people_model_get_item (G_LIST_MODEL (self), position);
      if (pd_record_get_version (now) != item->version)
        g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
    }
}

static void
common_ends (GArray *a, GArray *b, guint *prefix, guint *suffix)
{
  guint n = MIN (a->len, b->len);
  guint p = 0, s = 0;

  while (p < n && g_array_index (a, gint64, p) == g_array_index (b, gint64, p))
    p++;
  while (s < n - p
         && g_array_index (a, gint64, a->len - 1 - s) == g_array_index (b, gint64, b->len - 1 - s))
    s++;
  *prefix = p;
  *suffix = s;
}

/* A cached page stays when the new row ids keep its rows where they were. */
static gboolean
page_still_valid (GArray *rowids, guint index, Page *page)
{
  guint start = index * PD_PEOPLE_MODEL_PAGE_SIZE;

  for (guint i = 0; i < page->rowids->len && start + i < rowids->len; i++)
    if (g_array_index (rowids, gint64, start + i) != g_array_index (page->rowids, gint64, i))
      return FALSE;
  return TRUE;
}

static void
keep_valid_pages (PdPeopleModel *self, GArray *rowids)
{
  GHashTableIter iter;
  gpointer       key, value;

  g_hash_table_iter_init (&iter, self->pages);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!page_still_valid (rowids, GPOINTER_TO_UINT (key), value))
      {
        g_queue_remove (&self->lru, key);
        g_hash_table_iter_remove (&iter);
      }
}

/* Replaces the row ids with ROWIDS and emits exactly the range that differs. Pages whose
 * rows kept their places stay cached, unless CHECK_CONTENT (a reload: the rows themselves
 * may have changed; those still in view are compared by version and announced). */
static void
apply_rowids (PdPeopleModel *self, GArray *rowids, gboolean check_content)
{
  g_autoptr (GArray) old = self->rowids;
  g_autoptr (GArray) cached = check_content ? remember_cached (self) : NULL;
  guint prefix, suffix, removed, added;

  common_ends (old, rowids, &prefix, &suffix);
  removed = old->len - prefix - suffix;
  added = rowids->len - prefix - suffix;
  self->rowids = g_array_ref (rowids);
  if (check_content)
    forget_pages (self);
  else
    keep_valid_pages (self, rowids);
  if (removed > 0 || added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), prefix, removed, added);
  if (cached != NULL)
    announce_changed_content (self, cached, prefix, removed, added);
}

/* The first page's records, cached before they are shown. */
static void
seed_first_page (PdPeopleModel *self, PdPeopleResult *people)
{
  guint n = MIN (people->rowids->len, PD_PEOPLE_MODEL_PAGE_SIZE);

  forget_pages (self);
  if (n == 0 || people->rows == NULL || people->rows->len < n)
    return;
  g_hash_table_insert (
      self->pages, GUINT_TO_POINTER (0),
      page_new (g_ptr_array_ref (people->rows), &g_array_index (people->rowids, gint64, 0), n));
  touch_page (self, 0);
}

static void
set_state (PdPeopleModel *self, gboolean loading, gboolean complete, guint n_eligible)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->loading != loading)
    {
      self->loading = loading;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
  if (self->complete != complete)
    {
      self->complete = complete;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
    }
  if (self->n_eligible != n_eligible)
    {
      self->n_eligible = n_eligible;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ELIGIBLE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* Running queries */

typedef struct
{
  PdPeopleModel *model;
  guint          generation;
  gboolean       check_content;
} Answer;

static Answer *
answer_new (PdPeopleModel *self, gboolean check_content)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->model = g_object_ref (self);
  answer->generation = self->generation;
  answer->check_content = check_content;
  return answer;
}

static void
answer_free (Answer *answer)
{
  g_object_unref (answer->model);
  g_free (answer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Answer, answer_free)

static PdPeopleResult *
take_result (Answer *answer, GAsyncResult *result)
{
  g_autoptr (GError) error = NULL;
  PdPeopleResult *people = pd_people_query_run_finish (result, &error);

  if (answer->generation != answer->model->generation)
    return (pd_people_result_free (people), NULL);
  if (people == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The message says nothing about the people, only what SQLite reported. */
      g_debug ("People query failed: %s", error->message);
      set_state (answer->model, FALSE, answer->model->complete, answer->model->n_eligible);
    }
  return people;
}

static void
stop_reveal (PdPeopleModel *self)
{
  g_clear_handle_id (&self->reveal_source, g_source_remove);
  g_clear_pointer (&self->first_page, g_array_unref);
}

/* After the first frame: the rest of the first page. */
static gboolean
reveal_first_page (gpointer data)
{
  PdPeopleModel *self = data;
  g_autoptr (GArray) first_page = g_steal_pointer (&self->first_page);

  self->reveal_source = 0;
  apply_rowids (self, first_page, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_first_page (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Answer) answer = user_data;
  g_autoptr (PdPeopleResult) people = take_result (answer, result);
  PdPeopleModel *self = answer->model;

  if (people == NULL || self->complete)
    return;
  seed_first_page (self, people);
  if (people->rowids->len > FIRST_ROWS)
    {
      g_autoptr (GArray) head = g_array_sized_new (FALSE, FALSE, sizeof (gint64), FIRST_ROWS);

      g_array_append_vals (head, people->rowids->data, FIRST_ROWS);
      self->first_page = g_array_ref (people->rowids);
      self->reveal_source = g_idle_add (reveal_first_page, self);
      apply_rowids (self, head, FALSE);
    }
  else
    apply_rowids (self, people->rowids, FALSE);
  if (people->complete)
    {
      g_cancellable_cancel (self->full_cancellable);
      set_state (self, FALSE, TRUE, people->n_eligible);
    }
  g_signal_emit (self, signals[LOADED], 0);
}

static void
on_full (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Answer) answer = user_data;
  g_autoptr (PdPeopleResult) people = take_result (answer, result);
  PdPeopleModel *self = answer->model;

  if (people == NULL)
    return;
  g_cancellable_cancel (self->first_cancellable);
  stop_reveal (self);
  apply_rowids (self, people->rowids, answer->check_content);
  set_state (self, FALSE, TRUE, people->n_eligible);
  g_signal_emit (self, signals[LOADED], 0);
}

/* The first page comes quickly only where an index gives the order; the whole result
 * (under a second for a million people) is always run beside it, and wins otherwise. */
static gboolean
first_page_is_quick (const PdPeopleFilter *filter)
{
  return filter->sort == PD_PEOPLE_SORT_NAME || filter->sort == PD_PEOPLE_SORT_MEMBER_ID;
}

static void
cancel_queries (PdPeopleModel *self)
{
  g_cancellable_cancel (self->first_cancellable);
  g_cancellable_cancel (self->full_cancellable);
  g_clear_object (&self->first_cancellable);
  g_clear_object (&self->full_cancellable);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  stop_reveal (self);
  self->generation++;
}

static void
run_queries (PdPeopleModel *self, gboolean with_first_page, gboolean check_content)
{
  const char *path = pd_store_get_path (self->store);

  cancel_queries (self);
  self->first_cancellable = g_cancellable_new ();
  self->full_cancellable = g_cancellable_new ();
  set_state (self, TRUE, check_content && self->complete, self->n_eligible);
  if (with_first_page)
    pd_people_query_run_async (path, self->filter, PD_PEOPLE_MODEL_PAGE_SIZE,
                               self->first_cancellable, on_first_page, answer_new (self, FALSE));
  pd_people_query_run_async (path, self->filter, 0, self->full_cancellable, on_full,
                             answer_new (self, check_content));
}

void
pd_people_model_set_filter (PdPeopleModel *self, const PdPeopleFilter *filter)
{
  g_autoptr (GArray) empty = NULL;

  g_return_if_fail (PD_IS_PEOPLE_MODEL (self));

  if (filter != NULL && pd_people_filter_equal (filter, self->filter))
    return;
  pd_people_filter_free (self->filter);
  self->filter = filter ? pd_people_filter_copy (filter) : NULL;
  if (self->filter != NULL && self->filter->partner_id != NULL)
    {
      run_queries (self, first_page_is_quick (self->filter), FALSE);
      return;
    }
  cancel_queries (self);
  empty = g_array_new (FALSE, FALSE, sizeof (gint64));
  apply_rowids (self, empty, FALSE);
  set_state (self, FALSE, TRUE, 0);
  g_signal_emit (self, signals[LOADED], 0);
}

const PdPeopleFilter *
pd_people_model_get_filter (PdPeopleModel *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_MODEL (self), NULL);

  return self->filter;
}

void
pd_people_model_reload (PdPeopleModel *self)
{
  g_return_if_fail (PD_IS_PEOPLE_MODEL (self));

  if (self->filter == NULL || self->filter->partner_id == NULL)
    return;
  run_queries (self, FALSE, TRUE);
}

static gboolean
reload_cb (gpointer data)
{
  PdPeopleModel *self = data;

  self->reload_source = 0;
  pd_people_model_reload (self);
  return G_SOURCE_REMOVE;
}

/* Many saves in a row (sample data, one per person) make one reload. */
static void
schedule_reload (PdPeopleModel *self)
{
  g_clear_handle_id (&self->reload_source, g_source_remove);
  self->reload_source = g_timeout_add (RELOAD_DELAY_MS, reload_cb, self);
}

/* Store signals */

static gboolean
find_cached (PdPeopleModel *self, const char *id, guint *position)
{
  GHashTableIter iter;
  gpointer       key, value;

  g_hash_table_iter_init (&iter, self->pages);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *rows = ((Page *)value)->rows;

      for (guint i = 0; i < rows->len; i++)
        if (g_strcmp0 (pd_record_get_id (g_ptr_array_index (rows, i)), id) == 0)
          {
            *position = GPOINTER_TO_UINT (key) * PD_PEOPLE_MODEL_PAGE_SIZE + i;
            return TRUE;
          }
    }
  return FALSE;
}

/* One person saved: update it in place when cached, then re-run for its place. */
static void
on_record_changed (PdStore *store, const char *collection, const char *id, PdPeopleModel *self)
{
  g_autoptr (GPtrArray) fresh = NULL;
  PdRecord *person;
  gint64    rowid;
  guint     position;

  if (self->filter == NULL || self->filter->partner_id == NULL
      || g_strcmp0 (collection, pd_person_type.name) != 0)
    return;
  rowid = pd_people_query_find_rowid (store, id);
  fresh = rowid ? pd_people_query_fetch (store, &rowid, 1, NULL) : NULL;
  person = fresh ? g_ptr_array_index (fresh, 0) : NULL;
  if (person == NULL
      || g_strcmp0 (pd_record_get_string (person, "partner_id"), self->filter->partner_id) != 0)
    return;
  /* A deleted person leaves with the reload: one removal, not a change first. */
  if (!pd_record_get_deleted (person) && find_cached (self, id, &position))
    {
      GPtrArray *rows = ((Page *)g_hash_table_lookup (
                             self->pages, GUINT_TO_POINTER (position / PD_PEOPLE_MODEL_PAGE_SIZE)))
                            ->rows;
      guint index = position % PD_PEOPLE_MODEL_PAGE_SIZE;

      g_object_unref (g_ptr_array_index (rows, index));
      g_ptr_array_index (rows, index) = g_object_ref (person);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
    }
  schedule_reload (self);
}

static void
on_collection_changed (PdStore *store, const char *collection, const char *partner_id,
                       PdPeopleModel *self)
{
  if (self->filter == NULL || g_strcmp0 (collection, pd_person_type.name) != 0)
    return;
  if (partner_id == NULL || g_strcmp0 (partner_id, self->filter->partner_id) == 0)
    pd_people_model_reload (self);
}

/* Accessors */

gboolean
pd_people_model_get_loading (PdPeopleModel *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_MODEL (self), FALSE);
  return self->loading;
}

gboolean
pd_people_model_get_complete (PdPeopleModel *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_MODEL (self), FALSE);
  return self->complete;
}

guint
pd_people_model_get_n_eligible (PdPeopleModel *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_MODEL (self), 0);
  return self->n_eligible;
}

guint
pd_people_model_get_n_page_fetches (PdPeopleModel *self)
{
  g_return_val_if_fail (PD_IS_PEOPLE_MODEL (self), 0);
  return self->n_fetches;
}

int
pd_people_model_find (PdPeopleModel *self, const char *id)
{
  gint64 rowid;

  g_return_val_if_fail (PD_IS_PEOPLE_MODEL (self), -1);

  rowid = pd_people_query_find_rowid (self->store, id);
  for (guint i = 0; rowid != 0 && i < self->rowids->len; i++)
    if (g_array_index (self->rowids, gint64, i) == rowid)
      return (int)i;
  return -1;
}

/* GObject */

static void
pd_people_model_dispose (GObject *object)
{
  PdPeopleModel *self = PD_PEOPLE_MODEL (object);

  cancel_queries (self);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (pd_people_model_parent_class)->dispose (object);
}

static void
pd_people_model_finalize (GObject *object)
{
  PdPeopleModel *self = PD_PEOPLE_MODEL (object);

  forget_pages (self);
  g_hash_table_unref (self->pages);
  g_array_unref (self->rowids);
  pd_people_filter_free (self->filter);
  G_OBJECT_CLASS (pd_people_model_parent_class)->finalize (object);
}

static void
pd_people_model_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PdPeopleModel *self = PD_PEOPLE_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_COMPLETE:
      g_value_set_boolean (value, self->complete);
      break;
    case PROP_N_ELIGIBLE:
      g_value_set_uint (value, self->n_eligible);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pd_people_model_class_init (PdPeopleModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = pd_people_model_dispose;
  object_class->finalize = pd_people_model_finalize;
  object_class->get_property = pd_people_model_get_property;

  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, flags);
  properties[PROP_COMPLETE] = g_param_spec_boolean ("complete", NULL, NULL, TRUE, flags);
  properties[PROP_N_ELIGIBLE]
      = g_param_spec_uint ("n-eligible", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 0);
}

static void
pd_people_model_init (PdPeopleModel *self)
{
  self->rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, page_free);
  g_queue_init (&self->lru);
  self->complete = TRUE;
}

PdPeopleModel *
pd_people_model_new (PdStore *store)
{
  PdPeopleModel *self;

  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_PEOPLE_MODEL, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  g_signal_connect (store, "collection-changed", G_CALLBACK (on_collection_changed), self);
  return self;
}
