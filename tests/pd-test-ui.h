/* pd-test-ui.h: GTK test helpers: finding widgets as a user sees them, and acting on them. */
#pragma once

#include <adwaita.h>

#include "pd-application.h"
#include "pd-test-util.h"
#include "pd-window.h"

G_BEGIN_DECLS

typedef gboolean (*PdTestMatchFunc) (GtkWidget *widget, const char *text);

gboolean   pd_test_text_equal (const char *shown, const char *wanted);
GtkWidget *pd_test_find_in (GtkWidget *root, PdTestMatchFunc match, const char *text);
GtkWidget *pd_test_find_anywhere (PdTestMatchFunc match, const char *text);
GtkWidget *pd_test_find_required (GtkWidget *root, PdTestMatchFunc match, const char *text);
GtkWidget *pd_test_wait_for_widget (PdTestMatchFunc match, const char *text);

/* Matchers: labels and titles compare without mnemonic underscores. */
gboolean pd_test_is_label (GtkWidget *widget, const char *text);
gboolean pd_test_is_label_containing (GtkWidget *widget, const char *text);
gboolean pd_test_is_button (GtkWidget *widget, const char *text);
gboolean pd_test_is_entry_row (GtkWidget *widget, const char *text);
gboolean pd_test_is_row (GtkWidget *widget, const char *text);
gboolean pd_test_is_dropdown (GtkWidget *widget, const char *text);
gboolean pd_test_is_window_titled (GtkWidget *widget, const char *text);
gboolean pd_test_is_message_dialog (GtkWidget *widget, const char *text);
gboolean pd_test_is_type (GtkWidget *widget, const char *type_name);
gboolean pd_test_is_a (GtkWidget *widget, const char *type_name);

/* Setting up: GTK with in-memory settings, a registered application, a shown window. */
void           pd_test_ui_init (int *argc, char ***argv);
PdApplication *pd_test_register_app (void);
void           pd_test_show_window (PdApplication *app, PdStore *store, int width, int height,
                                    PdWindow **window);

void pd_test_destroy_window (PdWindow **window);

/* Acting like a user */
void pd_test_click (GtkWidget *button);
void pd_test_click_button (GtkWidget *root, const char *label);
void pd_test_type_into (GtkWidget *root, const char *row_title, const char *text);
void pd_test_choose_in_dropdown (GtkWidget *root, const char *tooltip, const char *item);
void pd_test_select_tab (GtkWidget *window, const char *title);
void pd_test_wait_closed (GtkWidget *window);

G_END_DECLS
