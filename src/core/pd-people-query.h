/* pd-people-query.h: the read side of the People tab: a partner's people filtered, searched
 * and sorted in SQL, as a list of row ids in display order, and rows fetched by row id. */
#pragma once

#include <gio/gio.h>

#include "pd-store.h"

G_BEGIN_DECLS

/* The sortable columns of the People tab. Ties are broken by name, member ID, the
 * statuses (eligibility, enrollment, relationship), then row id,
 * so every order is total and stable. */
typedef enum {
  PD_PEOPLE_SORT_NAME,            /* last name, first name, member ID */
  PD_PEOPLE_SORT_MEMBER_ID,
  PD_PEOPLE_SORT_GROUP_ID,
  PD_PEOPLE_SORT_RELATIONSHIP,
  PD_PEOPLE_SORT_COVERAGE_START,
  PD_PEOPLE_SORT_COVERAGE_END,
  PD_PEOPLE_SORT_ELIGIBILITY,
  PD_PEOPLE_SORT_ENROLLMENT,
  PD_PEOPLE_N_SORTS
} PdPeopleSort;

/* What the People tab shows: one partner's live people. NULL or "" strings mean
 * "any"; filters are the stored nicks ("eligible", "enrolled", "child"). SEARCH is
 * what the user typed: each of its words must occur, ignoring case, in the name,
 * the member ID or the email. */
typedef struct {
  char         *partner_id;
  char         *search;
  char         *eligibility;
  char         *enrollment;
  char         *relationship;
  PdPeopleSort  sort;
  gboolean      descending;
} PdPeopleFilter;

PdPeopleFilter *pd_people_filter_new   (const char *partner_id);
PdPeopleFilter *pd_people_filter_copy  (const PdPeopleFilter *filter);
void            pd_people_filter_free  (PdPeopleFilter *filter);
gboolean        pd_people_filter_equal (const PdPeopleFilter *a,
                                        const PdPeopleFilter *b);
/* TRUE when neither a search nor a filter narrows the partner's people. */
gboolean        pd_people_filter_is_unfiltered (const PdPeopleFilter *filter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdPeopleFilter, pd_people_filter_free)

typedef struct {
  GArray    *rowids;     /* gint64: the people in display order */
  guint      n_eligible; /* of them, eligibility "eligible" */
  gboolean   complete;   /* rowids is the whole result (FALSE: only the first LIMIT) */
  GPtrArray *rows;       /* PdRecord*: the people of the first rowids, when asked for */
} PdPeopleResult;

void pd_people_result_free (PdPeopleResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PdPeopleResult, pd_people_result_free)

/* Runs FILTER on a read-only connection of its own to DB_PATH (any thread). LIMIT 0: the
 * whole result, rows NULL. LIMIT n: at most the first n people, with their rows (a quick
 * first page, indexed for the name and member ID orders); complete and n_eligible are
 * exact when fewer than n matched. Cancelling interrupts the running statement
 * (G_IO_ERROR_CANCELLED). */
PdPeopleResult *pd_people_query_run        (const char            *db_path,
                                            const PdPeopleFilter  *filter,
                                            guint                  limit,
                                            GCancellable          *cancellable,
                                            GError               **error);
/* pd_people_query_run in a worker thread (FILTER is copied). */
void            pd_people_query_run_async  (const char            *db_path,
                                            const PdPeopleFilter  *filter,
                                            guint                  limit,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data);
PdPeopleResult *pd_people_query_run_finish (GAsyncResult  *result,
                                            GError       **error);

/* The people of ROWIDS (N of them) through STORE's connection, in the same order; a row
 * id that no longer exists gives NULL at its place. Each dependent carries its employee's
 * name (pd_people_get_employee_name). Main thread, indexed: about 1 ms per 256 rows. */
GPtrArray      *pd_people_query_fetch      (PdStore       *store,
                                            const gint64  *rowids,
                                            guint          n,
                                            GError       **error);
/* The row id of the person ID, or 0 when there is none. */
gint64          pd_people_query_find_rowid (PdStore    *store,
                                            const char *id);

/* The sort key of a person's name, stored in persons.name_key (the People tab's name
 * order): the last name, U+0001, the first name, each without case or accents
 * ("Müller", "Jürgen" -> "muller\001jurgen"). NULL names count as empty. */
char           *pd_people_name_key         (const char *last_name,
                                            const char *first_name);

/* The name of the employee whose dependent PERSON is ("Anna Berg"), looked up by the
 * employee's member ID among the partner's people; NULL for an employee or when unknown.
 * Set on the records pd_people_query_fetch and pd_people_query_run return. */
const char     *pd_people_get_employee_name (PdRecord *person);

G_END_DECLS
