/* pd-test-ui.c: GTK test helpers: finding widgets as a user sees them, and acting on them. */
#include "pd-test-ui.h"

gboolean
pd_test_text_equal (const char *shown, const char *wanted)
{
  g_autoptr (GString) plain = NULL;

  if (shown == NULL)
    return FALSE;
  plain = g_string_new (shown);
  g_string_replace (plain, "_", "", 0); /* mnemonics */
  return g_str_equal (plain->str, wanted);
}

/* The first mapped widget at or below ROOT that MATCH accepts. */
GtkWidget *
pd_test_find_in (GtkWidget *root, PdTestMatchFunc match, const char *text)
{
  if (!gtk_widget_get_mapped (root))
    return NULL;
  if (match (root, text))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = pd_test_find_in (child, match, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* As pd_test_find_in, failing the test when there is none. */
GtkWidget *
pd_test_find_required (GtkWidget *root, PdTestMatchFunc match, const char *text)
{
  GtkWidget *found = pd_test_find_in (root, match, text);

  g_assert_nonnull (found);
  return found;
}

/* Searches every shown window, the newest (dialogs) first. */
GtkWidget *
pd_test_find_anywhere (PdTestMatchFunc match, const char *text)
{
  g_autoptr (GList) toplevels = g_list_reverse (gtk_window_list_toplevels ());
  GtkWidget *found = NULL;

  for (GList *l = toplevels; l != NULL && found == NULL; l = l->next)
    found = pd_test_find_in (l->data, match, text);
  return found;
}

GtkWidget *
pd_test_wait_for_widget (PdTestMatchFunc match, const char *text)
{
  GtkWidget *found = NULL;

  PD_WAIT_UNTIL ((found = pd_test_find_anywhere (match, text)) != NULL);
  return found;
}

gboolean
pd_test_is_label (GtkWidget *widget, const char *text)
{
  return GTK_IS_LABEL (widget)
         && pd_test_text_equal (gtk_label_get_text (GTK_LABEL (widget)), text);
}

gboolean
pd_test_is_label_containing (GtkWidget *widget, const char *text)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL;
}

/* A button by its label, tooltip, button content or label child. */
gboolean
pd_test_is_button (GtkWidget *widget, const char *text)
{
  if (!GTK_IS_BUTTON (widget))
    return FALSE;
  if (pd_test_text_equal (gtk_button_get_label (GTK_BUTTON (widget)), text)
      || pd_test_text_equal (gtk_widget_get_tooltip_text (widget), text))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if ((ADW_IS_BUTTON_CONTENT (child)
         && pd_test_text_equal (adw_button_content_get_label (ADW_BUTTON_CONTENT (child)), text))
        || pd_test_is_label (child, text))
      return TRUE;
  return FALSE;
}

gboolean
pd_test_is_row (GtkWidget *widget, const char *text)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && pd_test_text_equal (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), text);
}

gboolean
pd_test_is_entry_row (GtkWidget *widget, const char *text)
{
  return ADW_IS_ENTRY_ROW (widget) && pd_test_is_row (widget, text);
}

gboolean
pd_test_is_dropdown (GtkWidget *widget, const char *text)
{
  return GTK_IS_DROP_DOWN (widget)
         && pd_test_text_equal (gtk_widget_get_tooltip_text (widget), text);
}

gboolean
pd_test_is_window_titled (GtkWidget *widget, const char *text)
{
  return GTK_IS_WINDOW (widget)
         && pd_test_text_equal (gtk_window_get_title (GTK_WINDOW (widget)), text);
}

gboolean
pd_test_is_message_dialog (GtkWidget *widget, const char *text)
{
  return ADW_IS_MESSAGE_DIALOG (widget)
         && pd_test_text_equal (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (widget)), text);
}

/* Exactly of the type named TYPE_NAME (not a subclass). */
gboolean
pd_test_is_type (GtkWidget *widget, const char *type_name)
{
  return g_str_equal (G_OBJECT_TYPE_NAME (widget), type_name);
}

/* Of the type named TYPE_NAME or a subclass of it. */
gboolean
pd_test_is_a (GtkWidget *widget, const char *type_name)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, g_type_from_name (type_name));
}

void
pd_test_ui_init (int *argc, char ***argv)
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (argc, argv, NULL);
  /* Criticals stay fatal (as G_DEBUG=fatal-criticals says); warnings are printed but not
   * fatal: GTK 4.8 warns "GtkText - did not receive a focus-out event" when focus moves
   * between toplevels on an X server without a window manager, as under xvfb-run, and
   * structured log messages cannot be let through one by one. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

PdApplication *
pd_test_register_app (void)
{
  g_autoptr (GError) error = NULL;
  PdApplication *app = pd_application_new ();

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  return app;
}

/* A new window of APP over STORE in *WINDOW (cleared when it goes), of default size WIDTH x
 * HEIGHT unless 0, presented and mapped. */
void
pd_test_show_window (PdApplication *app, PdStore *store, int width, int height, PdWindow **window)
{
  *window = pd_window_new (GTK_APPLICATION (app), store, NULL);
  g_object_add_weak_pointer (G_OBJECT (*window), (gpointer *)window);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (*window), width, height);
  gtk_window_present (GTK_WINDOW (*window));
  PD_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (*window)));
}

/* Destroys *WINDOW (a weak pointer, see pd_test_show_window) if it is still there. */
void
pd_test_destroy_window (PdWindow **window)
{
  if (*window != NULL)
    gtk_window_destroy (GTK_WINDOW (*window));
  PD_WAIT_UNTIL (*window == NULL);
}

void
pd_test_click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
}

/* Clicks the button LABEL below ROOT, or (ROOT NULL) waits for it in any window. */
void
pd_test_click_button (GtkWidget *root, const char *label)
{
  GtkWidget *button = root ? pd_test_find_in (root, pd_test_is_button, label)
                           : pd_test_wait_for_widget (pd_test_is_button, label);

  if (button == NULL)
    g_error ("no button “%s”", label);
  pd_test_click (button);
}

void
pd_test_type_into (GtkWidget *root, const char *row_title, const char *text)
{
  GtkWidget *row = pd_test_find_in (root, pd_test_is_entry_row, row_title);

  if (row == NULL)
    g_error ("no entry row “%s”", row_title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

void
pd_test_choose_in_dropdown (GtkWidget *root, const char *tooltip, const char *item)
{
  GtkWidget  *dropdown = pd_test_find_in (root, pd_test_is_dropdown, tooltip);
  GListModel *model;

  if (dropdown == NULL)
    g_error ("no drop-down “%s”", tooltip);
  model = gtk_drop_down_get_model (GTK_DROP_DOWN (dropdown));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i), item))
      {
        gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), i);
        return;
      }
  g_error ("no “%s” in “%s”", item, tooltip);
}

static gboolean
is_notebook (GtkWidget *widget, const char *text)
{
  return GTK_IS_NOTEBOOK (widget);
}

/* Switches WINDOW's notebook to the tab TITLE and waits until its page is shown. */
void
pd_test_select_tab (GtkWidget *window, const char *title)
{
  GtkWidget *notebook = pd_test_find_in (window, is_notebook, NULL);
  int        n;

  g_assert_nonnull (notebook);
  n = gtk_notebook_get_n_pages (GTK_NOTEBOOK (notebook));
  for (int i = 0; i < n; i++)
    {
      GtkWidget *page = gtk_notebook_get_nth_page (GTK_NOTEBOOK (notebook), i);

      if (pd_test_text_equal (gtk_notebook_get_tab_label_text (GTK_NOTEBOOK (notebook), page),
                              title))
        {
          gtk_notebook_set_current_page (GTK_NOTEBOOK (notebook), i);
          PD_WAIT_UNTIL (gtk_widget_get_mapped (page));
          return;
        }
    }
  g_error ("no tab “%s”", title);
}

static gboolean
window_gone (GtkWidget **window)
{
  return *window == NULL;
}

/* Waits until WINDOW has been destroyed. */
void
pd_test_wait_closed (GtkWidget *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *)&window);
  PD_WAIT_UNTIL (window_gone (&window));
}
