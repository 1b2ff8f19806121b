/* pd-people-model.h: a lazy GListModel of a partner's people (PdRecord), paged from SQLite. */
#pragma once

#include <gio/gio.h>
#include "pd-core.h"

G_BEGIN_DECLS

/* Rows per page fetched from SQLite, and how many pages stay cached. */
#define PD_PEOPLE_MODEL_PAGE_SIZE 256
#define PD_PEOPLE_MODEL_MAX_PAGES 8

#define PD_TYPE_PEOPLE_MODEL (pd_people_model_get_type ())
G_DECLARE_FINAL_TYPE (PdPeopleModel, pd_people_model, PD, PEOPLE_MODEL, GObject)

/* The model holds the row ids of the whole result (8 bytes a person) and a few pages of
 * records; get_item on an uncached position fetches its page synchronously (indexed, about
 * a millisecond). A new filter runs in worker threads (cancelling the previous one): the
 * first page comes quickly, the whole result follows; meanwhile :loading is TRUE.
 * A person saved through the store is updated in place and the result re-run in the
 * background; every change is an exact items-changed. Properties: loading (bool), complete
 * (bool: the whole result is known), n-eligible (uint). ::loaded after every result. */
PdPeopleModel        *pd_people_model_new          (PdStore              *store);
/* Shows FILTER (copied); NULL or a filter without partner: empty. */
void                  pd_people_model_set_filter   (PdPeopleModel        *self,
                                                    const PdPeopleFilter *filter);
const PdPeopleFilter *pd_people_model_get_filter   (PdPeopleModel        *self);
/* Re-runs the filter (after a bulk change); positions that changed are announced exactly. */
void                  pd_people_model_reload       (PdPeopleModel        *self);
gboolean              pd_people_model_get_loading  (PdPeopleModel        *self);
gboolean              pd_people_model_get_complete (PdPeopleModel        *self);
guint                 pd_people_model_get_n_eligible (PdPeopleModel      *self);
/* The position of the person ID in the model, or -1 (a linear search of the row ids). */
int                   pd_people_model_find         (PdPeopleModel        *self,
                                                    const char           *id);
/* Pages fetched from SQLite so far (for the benchmark and tests). */
guint                 pd_people_model_get_n_page_fetches (PdPeopleModel  *self);

G_END_DECLS
