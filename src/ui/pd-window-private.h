/* pd-window-private.h: the PdWindow struct, shared by pd-window.c and pd-window-actions.c. */
#pragma once

#include "pd-window.h"
#include "pd-partner-sidebar.h"
#include "pd-sync-button.h"

G_BEGIN_DECLS

typedef struct _PdSlotModel PdSlotModel;

struct _PdWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  AdwToastOverlay  *toast_overlay;
  GtkToggleButton  *search_button;
  GtkMenuButton    *menu_button;
  GtkStack         *main_stack;
  AdwStatusPage    *error_page;
  GtkPaned         *outer_paned;
  GtkSearchBar     *search_bar;
  GtkSearchEntry   *search_entry;
  GtkDropDown      *kind_dropdown;
  GtkDropDown      *status_dropdown;
  GtkLabel         *count_label;
  GtkStack         *list_stack;
  GtkListView      *list_view;
  GtkStack         *detail_stack;
  GtkPaned         *details_paned;
  PdPartnerSidebar *sidebar;
  GtkNotebook      *notebook;
  AdwViewStack     *view_stack; /* the views: "partners", "traffic", … */
  GtkWidget        *add_button;
  PdSyncButton     *sync_button;

  /* Owned references */
  PdStore            *store;
  PdSync             *sync;     /* the store's, from the application; NULL without one */
  GSettings          *settings;
  GListStore         *partners; /* every live partner, as PdRecord */
  GHashTable         *by_id;    /* id -> PdRecord in partners (borrowed) */
  GtkSortListModel   *sorted;
  GtkFilterListModel *filtered;
  GtkCustomFilter    *filter;
  PdSlotModel        *slots;        /* what the list view shows: one slot per visible partner */
  GtkSingleSelection *selection;    /* over slots */
  GHashTable         *bound;        /* GtkListItems bound to a slot */
  char               *selected_id;  /* the partner the user selected, even while hidden */
  PdRecord           *shown;        /* the partner the sidebar and pages show */
  GPtrArray          *pages;        /* the notebook pages (GtkWidget, borrowed) */
  char              **search_words; /* casefolded words of the search, or NULL */
  char               *kind_filter;  /* nick or NULL for all */
  char               *status_filter;
  const PdField      *kind_field;
  const PdField      *status_field;

  gulong record_changed_id;
  guint  syncing : 1; /* moving the selection to follow the list, not the user */
  guint  loading_sample : 1;
};

/* pd-window.c */
void     _pd_window_toast (PdWindow *self, const char *message);
void     _pd_window_reload (PdWindow *self);
gboolean _pd_window_select_id (PdWindow *self, const char *id, gboolean clear_filters);
void     _pd_window_clear_filters (PdWindow *self);
void     _pd_window_show_search (PdWindow *self);
/* Adds a view beside "Partners" to the view switcher (the Traffic Channels view, the
 * Statistics view…): NAME is the page name, TITLE translated, ICON an icon name. The
 * partner search and Add Partner only show in the Partners view. */
void     _pd_window_add_view (PdWindow   *self,
                              const char *name,
                              const char *title,
                              const char *icon,
                              GtkWidget  *page);

/* TRUE when the signed-in user holds PERMISSION, or when local only (no sync). */
gboolean _pd_window_may (PdWindow *self, const char *permission);
/* Opens the Conflicts dialog; a toast when all are resolved. */
void     _pd_window_show_conflicts (PdWindow *self);

/* pd-window-actions.c */
void _pd_window_class_init_actions (GtkWidgetClass *widget_class);
void _pd_window_update_actions (PdWindow *self);

G_END_DECLS
