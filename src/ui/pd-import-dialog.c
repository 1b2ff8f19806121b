/* pd-import-dialog.c: the eligibility upload flow: choose a file, map, check (dry run), import. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "pd-import-dialog.h"

#define N_PREVIEW_ROWS 10

struct _PdImportDialog
{
  AdwWindow parent_instance;

  /* Template Widgets */
  AdwWindowTitle      *window_title;
  GtkWidget           *cancel_button;
  GtkWidget           *back_button;
  GtkWidget           *primary_button;
  GtkStack            *stack;
  GtkSpinner          *spinner;
  AdwStatusPage       *duplicate_page;
  AdwStatusPage       *error_page;
  GtkLabel            *status_label;
  GtkWidget           *drift_box;
  GtkLabel            *drift_label;
  AdwActionRow        *file_row;
  AdwActionRow        *format_row;
  AdwPreferencesGroup *mapping_group;
  GtkLabel            *missing_label;
  GtkGrid             *preview_grid;
  GtkWidget           *date_row;
  GtkDropDown         *date_dropdown;
  GtkCheckButton      *incremental_check;
  GtkCheckButton      *full_check;
  GtkWidget           *end_date_row;
  GtkSwitch           *all_or_nothing_switch;
  GtkLabel            *progress_title;
  GtkProgressBar      *progress_bar;
  GtkLabel            *phase_label;
  GtkLabel            *result_title;
  GtkLabel            *result_label;
  GtkLabel            *result_note;
  GtkWidget           *rejections_box;

  /* Borrowed References */
  GPtrArray *mapping_rows;   /* AdwActionRow per column, in the mapping group */
  GPtrArray *dropdowns;      /* GtkDropDown per column */
  GPtrArray *unmapped_marks; /* GtkLabel "Not imported" per column */

  /* Owned References */
  PdStore         *store;
  char            *partner_id;
  GFile           *file;
  char            *path;
  char            *file_name;
  PdImportPreview *preview;
  PdImportMapping *mapping;
  PdImportResult  *dry_result;
  GCancellable    *cancellable; /* of the running check or import */

  const char   *page;      /* the page's name (static) */
  PdImportFlags confirmed; /* CONFIRM_DUPLICATE, CONFIRM_GUARD: what the user accepted */
  guint         mapping_confirmed : 1;
  guint         ambiguous : 1;
  guint         loading : 1;
  guint         running : 1;
  guint         running_dry : 1;
  guint         cancelling : 1;
  guint         close_when_done : 1;
  guint         updating : 1;
  guint         asked_for_file : 1;
  guint         disposed : 1;
};

G_DEFINE_FINAL_TYPE (PdImportDialog, pd_import_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_IMPORTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_run (PdImportDialog *self, gboolean dry);

/* Small helpers */

static void
set_accessible_label (GtkWidget *widget, const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
remove_children (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_BOX (box))
        gtk_box_remove (GTK_BOX (box), child);
      else if (GTK_IS_GRID (box))
        gtk_grid_remove (GTK_GRID (box), child);
      else
        gtk_widget_unparent (child);
    }
}

static char *
join_labels (char **items, gboolean targets)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; items != NULL && items[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (text, ", ");
      g_string_append_printf (text, "“%s”", targets ? pd_import_target_label (items[i]) : items[i]);
    }
  if (text->len == 0)
    g_string_append (text, _ ("none"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
is_valid_date (const char *text)
{
  int  day, month, year;
  char end;

  if (text == NULL || sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &end) != 3
      || strlen (text) != 10)
    return FALSE;
  return g_date_valid_dmy (day, month, year);
}

static char *
today (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

/* Pages and buttons */

static gboolean
is_full (PdImportDialog *self)
{
  return gtk_check_button_get_active (self->full_check);
}

static gboolean
can_check (PdImportDialog *self)
{
  g_auto (GStrv) missing = NULL;

  if (self->mapping == NULL || !self->mapping_confirmed)
    return FALSE;
  missing = pd_import_mapping_dup_missing (self->mapping);
  if (missing[0] != NULL)
    return FALSE;
  if (self->ambiguous && gtk_drop_down_get_selected (self->date_dropdown) == 0)
    return FALSE;
  return !is_full (self)
         || is_valid_date (gtk_editable_get_text (GTK_EDITABLE (self->end_date_row)));
}

static gboolean
can_import (PdImportDialog *self)
{
  if (self->dry_result == NULL)
    return FALSE;
  return !gtk_switch_get_active (self->all_or_nothing_switch) || self->dry_result->rejected == 0;
}

static void
update_buttons (PdImportDialog *self)
{
  const char *page = self->page;
  gboolean    preview = g_str_equal (page, "preview");
  gboolean    result = g_str_equal (page, "result");
  gboolean    done = g_str_equal (page, "done");

  gtk_widget_set_visible (self->cancel_button, !done);
  gtk_widget_set_visible (self->back_button, result);
  gtk_widget_set_visible (self->primary_button, preview || result || done);
  if (preview)
    gtk_button_set_label (GTK_BUTTON (self->primary_button), _ ("Check File"));
  else if (result)
    gtk_button_set_label (GTK_BUTTON (self->primary_button), _ ("Import"));
  else if (done)
    gtk_button_set_label (GTK_BUTTON (self->primary_button), _ ("Close"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.primary",
                                 done || (preview && can_check (self))
                                     || (result && can_import (self)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.back", result);
  gtk_window_set_default_widget (GTK_WINDOW (self), gtk_widget_get_visible (self->primary_button)
                                                        ? self->primary_button
                                                        : NULL);
}

static void
set_page (PdImportDialog *self, const char *page)
{
  self->page = page;
  gtk_stack_set_visible_child_name (self->stack, g_str_equal (page, "done") ? "result" : page);
  if (g_str_equal (page, "loading"))
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  update_buttons (self);
}

static void
show_status (PdImportDialog *self, const char *message)
{
  gtk_label_set_text (self->status_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), message != NULL);
}

/* The mapping */

static guint
target_index (const char *target)
{
  const char *const *targets = pd_import_mapping_list_targets ();

  for (guint i = 0; target != NULL && targets[i] != NULL; i++)
    if (g_str_equal (targets[i], target))
      return i + 1;
  return 0;
}

static void
refresh_mapping (PdImportDialog *self)
{
  g_auto (GStrv) missing = NULL;

  if (self->mapping == NULL)
    return;
  self->updating = TRUE;
  for (guint i = 0; i < self->dropdowns->len; i++)
    {
      const char *target = pd_import_mapping_get_target (self->mapping, i);

      gtk_drop_down_set_selected (g_ptr_array_index (self->dropdowns, i), target_index (target));
      gtk_widget_set_visible (g_ptr_array_index (self->unmapped_marks, i), target == NULL);
    }
  self->updating = FALSE;

  missing = pd_import_mapping_dup_missing (self->mapping);
  if (missing[0] != NULL)
    {
      g_autofree char *names = join_labels (missing, TRUE);
      g_autofree char *text = g_strdup_printf (
          _ ("No column feeds these required fields: %s. Choose a column for each."), names);

      gtk_label_set_text (self->missing_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->missing_label), missing[0] != NULL);
  update_buttons (self);
}

/* Any change to what would be imported: the last check no longer holds. */
static void
options_changed (PdImportDialog *self)
{
  g_clear_pointer (&self->dry_result, pd_import_result_free);
  self->confirmed &= ~PD_IMPORT_FLAG_CONFIRM_GUARD;
  update_buttons (self);
}

static void
on_target_selected (GtkDropDown *dropdown, GParamSpec *pspec, PdImportDialog *self)
{
  const char *const *targets = pd_import_mapping_list_targets ();
  guint              column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dropdown), "column"));
  guint              selected = gtk_drop_down_get_selected (dropdown);

  if (self->updating || self->mapping == NULL || selected == GTK_INVALID_LIST_POSITION)
    return;
  pd_import_mapping_set_target (self->mapping, column,
                                selected == 0 ? NULL : targets[selected - 1]);
  options_changed (self);
  refresh_mapping (self);
}

static GtkStringList *
target_choices (void)
{
  const char *const *targets = pd_import_mapping_list_targets ();
  GtkStringList     *list = gtk_string_list_new (NULL);

  gtk_string_list_append (list, _ ("Ignore"));
  for (guint i = 0; targets[i] != NULL; i++)
    gtk_string_list_append (list, pd_import_target_label (targets[i]));
  return list;
}

/* The first non-empty values of COLUMN in the preview's rows. */
static char *
sample_values (PdImportDialog *self, guint column)
{
  g_autoptr (GString) text = g_string_new (NULL);
  guint n = 0;

  for (guint r = 0; r < self->preview->rows->len && n < 3; r++)
    {
      char      **row = g_ptr_array_index (self->preview->rows, r);
      const char *value = row[column];

      if (value == NULL || *value == '\0')
        continue;
      g_string_append_printf (text, "%s%s", n++ ? ", " : "", value);
    }
  if (text->len > 80)
    {
      g_string_truncate (text, g_utf8_offset_to_pointer (text->str, 77) - text->str);
      g_string_append (text, "…");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static GtkWidget *
mapping_row_new (PdImportDialog *self, guint column, const char *header)
{
  GtkWidget *row = adw_action_row_new ();
  g_autoptr (GtkStringList) choices = target_choices ();
  GtkWidget       *dropdown = gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&choices)), NULL);
  GtkWidget       *mark = gtk_label_new (_ ("Not imported"));
  g_autofree char *tooltip = g_strdup_printf (_ ("Field for column “%s”"), header);
  g_autofree char *samples = sample_values (self, column);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), *header ? header : _ ("(no name)"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), samples);
  gtk_widget_add_css_class (mark, "warning");
  gtk_widget_add_css_class (mark, "caption");
  gtk_widget_set_valign (mark, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (dropdown, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (dropdown, tooltip);
  set_accessible_label (dropdown, tooltip);
  g_object_set_data (G_OBJECT (dropdown), "column", GUINT_TO_POINTER (column));
  g_signal_connect (dropdown, "notify::selected", G_CALLBACK (on_target_selected), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), mark);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), dropdown);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), dropdown);
  g_ptr_array_add (self->dropdowns, dropdown);
  g_ptr_array_add (self->unmapped_marks, mark);
  return row;
}

static void
clear_mapping_rows (PdImportDialog *self)
{
  for (guint i = 0; i < self->mapping_rows->len; i++)
    adw_preferences_group_remove (self->mapping_group, g_ptr_array_index (self->mapping_rows, i));
  g_ptr_array_set_size (self->mapping_rows, 0);
  g_ptr_array_set_size (self->dropdowns, 0);
  g_ptr_array_set_size (self->unmapped_marks, 0);
}

static void
fill_mapping (PdImportDialog *self)
{
  const char *const *header = pd_import_mapping_get_header (self->mapping);

  clear_mapping_rows (self);
  for (guint i = 0; header[i] != NULL; i++)
    {
      GtkWidget *row = mapping_row_new (self, i, header[i]);

      adw_preferences_group_add (self->mapping_group, row);
      g_ptr_array_add (self->mapping_rows, row);
    }
}

static GtkWidget *
cell_new (const char *text, gboolean heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 24);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  if (heading)
    gtk_widget_add_css_class (label, "heading");
  return label;
}

static void
fill_grid (PdImportDialog *self)
{
  const char *const *header = pd_import_mapping_get_header (self->preview->mapping);
  guint              n_columns = pd_import_mapping_get_n_columns (self->preview->mapping);

  remove_children (GTK_WIDGET (self->preview_grid));
  gtk_grid_attach (self->preview_grid, cell_new (_ ("Line"), TRUE), 0, 0, 1, 1);
  for (guint c = 0; c < n_columns; c++)
    gtk_grid_attach (self->preview_grid, cell_new (header[c], TRUE), (int)c + 1, 0, 1, 1);
  for (guint r = 0; r < self->preview->rows->len; r++)
    {
      char           **row = g_ptr_array_index (self->preview->rows, r);
      g_autofree char *line
          = g_strdup_printf ("%u", g_array_index (self->preview->row_lines, guint, r));
      GtkWidget *line_label = cell_new (line, FALSE);

      gtk_widget_add_css_class (line_label, "dim-label");
      gtk_grid_attach (self->preview_grid, line_label, 0, (int)r + 1, 1, 1);
      for (guint c = 0; c < n_columns; c++)
        gtk_grid_attach (self->preview_grid, cell_new (row[c] ? row[c] : "", FALSE), (int)c + 1,
                         (int)r + 1, 1, 1);
    }
}

static char *
describe_format (PdImportPreview *preview)
{
  g_autofree char *size = g_format_size (preview->size);
  const char      *separator;

  if (preview->format == PD_FILE_FORMAT_X12_834)
    /* Translators: the format of an eligibility file and its size */
    return g_strdup_printf (_ ("ANSI X12 834, %s"), size);
  separator = preview->delimiter == ';'    ? _ ("semicolons")
              : preview->delimiter == '\t' ? _ ("tabs")
                                           : _ ("commas");
  /* Translators: "CSV, UTF-8, separated by commas, 12.3 kB" */
  return g_strdup_printf (_ ("CSV, %s, separated by %s, %s"), preview->encoding, separator, size);
}

static void
fill_drift (PdImportDialog *self)
{
  g_autoptr (GString) text = g_string_new (NULL);
  char **added = self->preview->added_columns;
  char **removed = self->preview->removed_columns;

  self->mapping_confirmed = !self->preview->mapping_changed;
  gtk_widget_set_visible (self->drift_box, self->preview->mapping_changed);
  if (!self->preview->mapping_changed)
    return;
  g_string_append (text, _ ("The columns of this file differ from the mapping saved for this "
                            "partner."));
  if (added != NULL && added[0] != NULL)
    {
      g_autofree char *names = join_labels (added, FALSE);

      g_string_append_c (text, ' ');
      g_string_append_printf (text, _ ("New columns: %s."), names);
    }
  if (removed != NULL && removed[0] != NULL)
    {
      g_autofree char *names = join_labels (removed, FALSE);

      g_string_append_c (text, ' ');
      g_string_append_printf (text, _ ("Columns no longer in the file: %s."), names);
    }
  g_string_append_c (text, ' ');
  g_string_append (text, _ ("Review the mapping below; nothing is imported until you confirm it."));
  gtk_label_set_text (self->drift_label, text->str);
}

static void
fill_preview (PdImportDialog *self)
{
  g_autofree char *format = describe_format (self->preview);
  g_autofree char *date = today ();
  gboolean         full
      = self->preview->mode_suggested && self->preview->suggested_mode == PD_IMPORT_MODE_FULL;

  g_clear_pointer (&self->mapping, pd_import_mapping_free);
  self->mapping = pd_import_mapping_copy (self->preview->mapping);
  adw_window_title_set_subtitle (self->window_title, self->file_name);
  adw_action_row_set_subtitle (self->file_row, self->file_name);
  adw_action_row_set_subtitle (self->format_row, format);
  fill_drift (self);
  fill_mapping (self);
  fill_grid (self);
  gtk_check_button_set_active (full ? self->full_check : self->incremental_check, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->end_date_row), date);
  refresh_mapping (self);
}

/* Reading the file (in a thread: an 834 is read through, and the sha256 needs every byte) */

typedef struct
{
  char *db_path;
  char *partner_id;
  char *path;
} PreviewData;

static void
preview_data_free (gpointer data)
{
  PreviewData *d = data;

  g_free (d->db_path);
  g_free (d->partner_id);
  g_free (d->path);
  g_free (d);
}

static void
preview_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PreviewData *d = task_data;
  GError      *error = NULL;
  g_autoptr (PdStore) store = pd_store_open_read_only (d->db_path, &error);
  PdImportPreview *preview = NULL;

  if (store != NULL)
    preview = pd_import_preview (store, d->partner_id, d->path, N_PREVIEW_ROWS, &error);
  if (preview != NULL)
    g_task_return_pointer (task, preview, (GDestroyNotify)pd_import_preview_free);
  else
    g_task_return_error (task, error);
}

static void
show_error_page (PdImportDialog *self, const char *message)
{
  adw_status_page_set_description (self->error_page, message);
  set_page (self, "error");
}

static void
on_preview_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (source);
  g_autoptr (GError) error = NULL;
  PdImportPreview *preview = g_task_propagate_pointer (G_TASK (result), &error);

  self->loading = FALSE;
  if (self->disposed || self->close_when_done)
    {
      g_clear_pointer (&preview, pd_import_preview_free);
      if (!self->disposed)
        gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (preview == NULL)
    {
      show_error_page (self, error->message);
      return;
    }
  self->preview = preview;
  fill_preview (self);
  if (preview->duplicate_message != NULL && !(self->confirmed & PD_IMPORT_FLAG_CONFIRM_DUPLICATE))
    {
      adw_status_page_set_description (self->duplicate_page, preview->duplicate_message);
      set_page (self, "duplicate");
      return;
    }
  set_page (self, "preview");
}

static void
reset (PdImportDialog *self)
{
  g_clear_pointer (&self->preview, pd_import_preview_free);
  g_clear_pointer (&self->mapping, pd_import_mapping_free);
  g_clear_pointer (&self->dry_result, pd_import_result_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->file_name, g_free);
  clear_mapping_rows (self);
  self->confirmed = 0;
  self->ambiguous = FALSE;
  self->mapping_confirmed = FALSE;
  gtk_drop_down_set_selected (self->date_dropdown, 0);
  gtk_widget_set_visible (self->date_row, FALSE);
  gtk_widget_set_visible (self->drift_box, FALSE);
  show_status (self, NULL);
}

void
pd_import_dialog_set_file (PdImportDialog *self, GFile *file)
{
  g_autoptr (GTask) task = NULL;
  PreviewData *d;

  g_return_if_fail (PD_IS_IMPORT_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (!self->running && !self->loading);

  reset (self);
  g_set_object (&self->file, file);
  self->path = g_file_get_path (file);
  self->file_name = g_file_get_basename (file);
  if (self->path == NULL)
    {
      show_error_page (self, _ ("Only files on this computer can be imported. Copy the file to "
                                "a folder first."));
      return;
    }
  d = g_new0 (PreviewData, 1);
  d->db_path = g_strdup (pd_store_get_path (self->store));
  d->partner_id = g_strdup (self->partner_id);
  d->path = g_strdup (self->path);
  self->loading = TRUE;
  set_page (self, "loading");
  task = g_task_new (self, NULL, on_preview_done, NULL);
  g_task_set_task_data (task, d, preview_data_free);
  g_task_run_in_thread (task, preview_in_thread);
}

/* Choosing the file. GtkFileDialog is GTK 4.10; with GTK 4.8 pinned, the native chooser
 * is used everywhere (inside Flatpak it goes through the portal). */

static void
add_filter (GtkFileChooser *chooser, const char *name, const char *const *patterns)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; patterns[i] != NULL; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
on_choose_response (GtkNativeDialog *native, int response, PdImportDialog *self)
{
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_object_unref (native);
  if (self->disposed)
    return;
  if (file != NULL)
    pd_import_dialog_set_file (self, file);
  else if (self->file == NULL)
    gtk_window_close (GTK_WINDOW (self)); /* nothing chosen, nothing to show */
}

static void
choose_file (PdImportDialog *self)
{
  GtkFileChooserNative *native;
  GtkFileChooser       *chooser;

  if (self->running || self->loading)
    return;
  native = gtk_file_chooser_native_new (_ ("Choose an Eligibility File"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Open"), _ ("_Cancel"));
  chooser = GTK_FILE_CHOOSER (native);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  add_filter (chooser, _ ("Eligibility files (CSV, TSV, TXT, X12 834)"),
              (const char *const[]){ "*.csv", "*.CSV", "*.tsv", "*.TSV", "*.txt", "*.TXT", "*.834",
                                     "*.edi", "*.EDI", "*.x12", "*.X12", NULL });
  add_filter (chooser, _ ("CSV, TSV and text files"),
              (const char *const[]){ "*.csv", "*.CSV", "*.tsv", "*.TSV", "*.txt", "*.TXT", NULL });
  add_filter (chooser, _ ("X12 834 files"),
              (const char *const[]){ "*.834", "*.edi", "*.EDI", "*.x12", "*.X12", NULL });
  add_filter (chooser, _ ("All files"), (const char *const[]){ "*", NULL });
  g_signal_connect (native, "response", G_CALLBACK (on_choose_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
on_map (PdImportDialog *self)
{
  if (self->asked_for_file || self->file != NULL)
    return;
  self->asked_for_file = TRUE;
  choose_file (self);
}

/* Rejected rows */

static void
setup_rejection (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_top (label, 4);
  gtk_widget_set_margin_bottom (label, 4);
  gtk_list_item_set_child (item, label);
}

static void
bind_rejection (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      gtk_string_object_get_string (string));
}

static void
on_save_rejections_response (GtkNativeDialog *native, int response, GtkWidget *button)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  GPtrArray       *rejections = g_object_get_data (G_OBJECT (button), "rejections");

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_object_unref (native);
  path = file ? g_file_get_path (file) : NULL;
  if (path != NULL && !pd_import_write_rejections_csv (rejections, path, &error))
    {
      GtkWidget *dialog
          = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (button)),
                                    _ ("Cannot Save the Rejected Rows"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
  g_object_unref (button);
}

static void
on_save_rejections (GtkWidget *button)
{
  GtkFileChooserNative *native;
  const char           *name = g_object_get_data (G_OBJECT (button), "suggested-name");

  native = gtk_file_chooser_native_new (_ ("Save Rejected Rows"),
                                        GTK_WINDOW (gtk_widget_get_root (button)),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Save"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
  g_signal_connect (native, "response", G_CALLBACK (on_save_rejections_response),
                    g_object_ref (button));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static char *
rejected_file_name (const char *file_name)
{
  g_autofree char *stem = g_strdup (file_name && *file_name ? file_name : "upload");
  char            *dot = strrchr (stem, '.');

  if (dot != NULL && dot != stem)
    *dot = '\0';
  /* Translators: the suggested name of the saved rejected rows: "census-rejected.csv" */
  return g_strdup_printf (_ ("%s-rejected.csv"), stem);
}

GtkWidget *
pd_import_rejections_view_new (GPtrArray *rejections, const char *suggested_name)
{
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget          *heading;
  GtkWidget          *scrolled = gtk_scrolled_window_new ();
  GtkWidget          *list_view;
  GtkWidget          *button = gtk_button_new_with_mnemonic (_ ("_Save Rejected Rows…"));
  GtkStringList      *strings = gtk_string_list_new (NULL);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_autofree char    *title = NULL;
  g_autofree char    *name = rejected_file_name (suggested_name);

  g_return_val_if_fail (rejections != NULL, NULL);

  title = g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%'u Rejected Row", "%'u Rejected Rows", rejections->len),
      rejections->len);
  heading = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  for (guint i = 0; i < rejections->len; i++)
    gtk_string_list_take (strings,
                          pd_import_rejection_describe (g_ptr_array_index (rejections, i)));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_rejection), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_rejection), NULL);
  list_view = gtk_list_view_new (
      GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (strings))), factory);
  set_accessible_label (list_view, _ ("Rejected rows"));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list_view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 160);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_widget_add_css_class (scrolled, "card");
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  gtk_widget_set_sensitive (button, rejections->len > 0);
  g_object_set_data_full (G_OBJECT (button), "rejections", g_ptr_array_ref (rejections),
                          (GDestroyNotify)g_ptr_array_unref);
  g_object_set_data_full (G_OBJECT (button), "suggested-name", g_steal_pointer (&name), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_save_rejections), NULL);
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_box_append (GTK_BOX (box), button);
  return box;
}

static void
show_rejections (PdImportDialog *self, GPtrArray *rejections)
{
  remove_children (self->rejections_box);
  if (rejections != NULL && rejections->len > 0)
    gtk_box_append (GTK_BOX (self->rejections_box),
                    pd_import_rejections_view_new (rejections, self->file_name));
}

/* Checking and importing */

static void
show_note (PdImportDialog *self, const char *note)
{
  gtk_label_set_text (self->result_note, note ? note : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_note), note != NULL);
}

static void
show_dry_result (PdImportDialog *self, PdImportResult *result)
{
  g_autofree char *counts = pd_import_result_describe (result);
  g_autofree char *note = NULL;

  g_clear_pointer (&self->dry_result, pd_import_result_free);
  self->dry_result = result;
  if (result->rejected > 0 && gtk_switch_get_active (self->all_or_nothing_switch))
    note = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%'u row was rejected, so with “All or nothing” this "
                                         "file would not be imported. Go back to change the "
                                         "options, or fix the file.",
                                         "%'u rows were rejected, so with “All or nothing” this "
                                         "file would not be imported. Go back to change the "
                                         "options, or fix the file.",
                                         result->rejected),
                            result->rejected);
  else if (result->rejected > 0)
    note = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%'u row will be skipped; the others will be imported.",
                     "%'u rows will be skipped; the others will be imported.", result->rejected),
        result->rejected);
  gtk_label_set_text (self->result_title, _ ("Ready to Import"));
  gtk_label_set_text (self->result_label, counts);
  show_note (self, note);
  show_rejections (self, result->rejections);
  set_page (self, "result");
}

static void
show_imported (PdImportDialog *self, PdImportResult *result)
{
  g_autofree char *counts = pd_import_result_describe (result);
  g_autofree char *message = g_strdup_printf (_ ("Imported “%s”: %s"), result->file_name, counts);

  g_clear_pointer (&self->dry_result, pd_import_result_free);
  if (g_signal_has_handler_pending (self, signals[SIGNAL_IMPORTED], 0, TRUE))
    {
      g_signal_emit (self, signals[SIGNAL_IMPORTED], 0, result->upload_id, message);
      gtk_window_close (GTK_WINDOW (self));
      return;
    }
  gtk_label_set_text (self->result_title, _ ("Imported"));
  gtk_label_set_text (self->result_label, counts);
  show_note (self, NULL);
  show_rejections (self, result->rejections);
  set_page (self, "done");
}

static void
on_guard_response (AdwMessageDialog *dialog, const char *response, PdImportDialog *self)
{
  gboolean dry = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "dry"));

  if (self->disposed)
    return;
  if (g_strcmp0 (response, "terminate") != 0)
    {
      show_status (self, _ ("Nothing was changed. Choose “Incremental”, or check that the file "
                            "is the whole population."));
      return;
    }
  self->confirmed |= PD_IMPORT_FLAG_CONFIRM_GUARD;
  start_run (self, dry);
}

static void
ask_guard (PdImportDialog *self, const char *message, gboolean dry)
{
  GtkWidget *dialog
      = adw_message_dialog_new (GTK_WINDOW (self), _ ("End Coverage for Many People?"), message);
  AdwMessageDialog *md = ADW_MESSAGE_DIALOG (dialog);

  adw_message_dialog_add_responses (md, "cancel", _ ("_Cancel"), "terminate", _ ("_Terminate Them"),
                                    NULL);
  adw_message_dialog_set_response_appearance (md, "terminate", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (md, "cancel");
  adw_message_dialog_set_close_response (md, "cancel");
  g_object_set_data (G_OBJECT (dialog), "dry", GINT_TO_POINTER (dry));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_guard_response), self, 0);
  set_page (self, "preview");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
handle_error (PdImportDialog *self, GError *error, gboolean dry)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *text = dry ? _ ("The check was cancelled. Nothing was changed.")
                             : _ ("The import was cancelled. Nothing was changed.");

      if (!dry && self->dry_result != NULL)
        {
          show_note (self, text);
          set_page (self, "result");
          return;
        }
      show_status (self, text);
      set_page (self, "preview");
    }
  else if (g_error_matches (error, PD_ERROR, PD_ERROR_GUARD))
    ask_guard (self, error->message, dry);
  else if (g_error_matches (error, PD_ERROR, PD_ERROR_AMBIGUOUS_DATES))
    {
      self->ambiguous = TRUE;
      gtk_widget_set_visible (self->date_row, TRUE);
      gtk_widget_add_css_class (self->date_row, "error");
      show_status (self, error->message);
      set_page (self, "preview");
      gtk_widget_grab_focus (GTK_WIDGET (self->date_dropdown));
    }
  else if (g_error_matches (error, PD_ERROR, PD_ERROR_DUPLICATE_FILE))
    {
      adw_status_page_set_description (self->duplicate_page, error->message);
      set_page (self, "duplicate");
    }
  else if (!dry && self->dry_result != NULL)
    {
      gtk_label_set_text (self->result_title, _ ("Nothing Imported"));
      show_note (self, error->message);
      set_page (self, "result");
    }
  else
    {
      show_status (self, error->message);
      set_page (self, "preview");
    }
}

static void
on_run_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (PdImportDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  PdImportResult *result = pd_import_run_finish (res, &error);
  gboolean        dry = self->running_dry;

  self->running = FALSE;
  self->cancelling = FALSE;
  g_clear_object (&self->cancellable);
  if (result != NULL && !result->dry_run)
    {
      /* The worker wrote through its own connection: the views reload. */
      pd_store_notify_collection_changed (self->store, "person", self->partner_id);
      pd_store_notify_collection_changed (self->store, "upload", self->partner_id);
      /* The upload is one committed record: views that follow ::record-changed only (the
       * History tab) see its audit entry too. */
      g_signal_emit_by_name (self->store, "record-changed", pd_upload_type.name, result->upload_id);
    }
  if (self->disposed || self->close_when_done)
    {
      g_clear_pointer (&result, pd_import_result_free);
      if (!self->disposed)
        gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (result == NULL)
    handle_error (self, error, dry);
  else if (dry)
    show_dry_result (self, result);
  else
    {
      show_imported (self, result);
      pd_import_result_free (result);
    }
}

static void
on_progress (double fraction, const char *phase, gpointer user_data)
{
  PdImportDialog *self = user_data;

  if (self->disposed || !self->running || self->cancelling)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  gtk_label_set_text (self->phase_label, phase ? phase : "");
}

static void
start_run (PdImportDialog *self, gboolean dry)
{
  PdImportOptions options;
  guint           order = gtk_drop_down_get_selected (self->date_dropdown);

  if (self->running || self->path == NULL)
    return;
  pd_import_options_init (&options);
  options.mode = is_full (self) ? PD_IMPORT_MODE_FULL : PD_IMPORT_MODE_INCREMENTAL;
  if (self->ambiguous && order == 1)
    options.date_order = PD_DATE_ORDER_DMY;
  else if (self->ambiguous && order == 2)
    options.date_order = PD_DATE_ORDER_MDY;
  options.flags = self->confirmed;
  if (dry)
    options.flags |= PD_IMPORT_FLAG_DRY_RUN;
  if (gtk_switch_get_active (self->all_or_nothing_switch))
    options.flags |= PD_IMPORT_FLAG_ALL_OR_NOTHING;
  if (options.mode == PD_IMPORT_MODE_FULL)
    options.termination_date = gtk_editable_get_text (GTK_EDITABLE (self->end_date_row));
  options.file_name = self->file_name;
  options.mapping = self->mapping;

  self->running = TRUE;
  self->running_dry = dry;
  self->cancellable = g_cancellable_new ();
  show_status (self, NULL);
  gtk_label_set_text (self->progress_title, dry ? _ ("Checking the File") : _ ("Importing"));
  gtk_label_set_text (self->phase_label, "");
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  set_page (self, "progress");
  pd_import_run_async (pd_store_get_path (self->store), self->partner_id, self->path, &options,
                       self->cancellable, on_progress, g_object_ref (self), g_object_unref,
                       on_run_done, g_object_ref (self));
}

/* Actions */

static void
cancel_run (PdImportDialog *self)
{
  self->cancelling = TRUE;
  gtk_label_set_text (self->phase_label, _ ("Cancelling…"));
  g_cancellable_cancel (self->cancellable);
}

static void
escape_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (widget);

  if (self->running)
    cancel_run (self);
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
primary_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (widget);

  if (g_str_equal (self->page, "preview") && can_check (self))
    start_run (self, TRUE);
  else if (g_str_equal (self->page, "result") && can_import (self))
    start_run (self, FALSE);
  else if (g_str_equal (self->page, "done"))
    gtk_window_close (GTK_WINDOW (self));
}

static void
back_action (GtkWidget *widget, const char *action, GVariant *param)
{
  set_page (PD_IMPORT_DIALOG (widget), "preview");
}

static void
choose_action (GtkWidget *widget, const char *action, GVariant *param)
{
  choose_file (PD_IMPORT_DIALOG (widget));
}

static void
anyway_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (widget);

  self->confirmed |= PD_IMPORT_FLAG_CONFIRM_DUPLICATE;
  if (self->preview != NULL)
    set_page (self, "preview");
}

static void
confirm_mapping_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (widget);

  self->mapping_confirmed = TRUE;
  gtk_widget_set_visible (self->drift_box, FALSE);
  update_buttons (self);
}

static void
on_mode_toggled (PdImportDialog *self)
{
  gtk_widget_set_visible (self->end_date_row, is_full (self));
  options_changed (self);
}

static void
on_end_date_changed (PdImportDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->end_date_row));

  if (is_valid_date (text))
    gtk_widget_remove_css_class (self->end_date_row, "error");
  else
    gtk_widget_add_css_class (self->end_date_row, "error");
  options_changed (self);
}

static void
on_date_order_selected (PdImportDialog *self)
{
  if (gtk_drop_down_get_selected (self->date_dropdown) != 0)
    gtk_widget_remove_css_class (self->date_row, "error");
  options_changed (self);
}

static gboolean
on_close_request (GtkWindow *window)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (window);

  if (!self->running && !self->loading)
    return FALSE;
  /* Closed mid-way: stop, and go once the worker has rolled back. */
  self->close_when_done = TRUE;
  if (self->running)
    cancel_run (self);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  return TRUE;
}

/* GObject */

static void
pd_import_dialog_dispose (GObject *object)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_IMPORT_DIALOG);
  G_OBJECT_CLASS (pd_import_dialog_parent_class)->dispose (object);
}

static void
pd_import_dialog_finalize (GObject *object)
{
  PdImportDialog *self = PD_IMPORT_DIALOG (object);

  g_clear_pointer (&self->mapping_rows, g_ptr_array_unref);
  g_clear_pointer (&self->dropdowns, g_ptr_array_unref);
  g_clear_pointer (&self->unmapped_marks, g_ptr_array_unref);
  g_clear_pointer (&self->preview, pd_import_preview_free);
  g_clear_pointer (&self->mapping, pd_import_mapping_free);
  g_clear_pointer (&self->dry_result, pd_import_result_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->file);
  g_clear_object (&self->store);
  g_free (self->partner_id);
  g_free (self->path);
  g_free (self->file_name);
  G_OBJECT_CLASS (pd_import_dialog_parent_class)->finalize (object);
}

static void
pd_import_dialog_class_init (PdImportDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = pd_import_dialog_dispose;
  object_class->finalize = pd_import_dialog_finalize;
  window_class->close_request = on_close_request;

  /* ::imported (const char *upload_id, const char *message): an import applied. */
  signals[SIGNAL_IMPORTED]
      = g_signal_new ("imported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-import-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PdImportDialog, name)
  BIND (window_title);
  BIND (cancel_button);
  BIND (back_button);
  BIND (primary_button);
  BIND (stack);
  BIND (spinner);
  BIND (duplicate_page);
  BIND (error_page);
  BIND (status_label);
  BIND (drift_box);
  BIND (drift_label);
  BIND (file_row);
  BIND (format_row);
  BIND (mapping_group);
  BIND (missing_label);
  BIND (preview_grid);
  BIND (date_row);
  BIND (date_dropdown);
  BIND (incremental_check);
  BIND (full_check);
  BIND (end_date_row);
  BIND (all_or_nothing_switch);
  BIND (progress_title);
  BIND (progress_bar);
  BIND (phase_label);
  BIND (result_title);
  BIND (result_label);
  BIND (result_note);
  BIND (rejections_box);
#undef BIND

  gtk_widget_class_install_action (widget_class, "import.escape", NULL, escape_action);
  gtk_widget_class_install_action (widget_class, "import.primary", NULL, primary_action);
  gtk_widget_class_install_action (widget_class, "import.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "import.choose", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "import.anyway", NULL, anyway_action);
  gtk_widget_class_install_action (widget_class, "import.confirm-mapping", NULL,
                                   confirm_mapping_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "import.escape", NULL);
}

static void
pd_import_dialog_init (PdImportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->mapping_rows = g_ptr_array_new ();
  self->dropdowns = g_ptr_array_new ();
  self->unmapped_marks = g_ptr_array_new ();
  self->page = "choose";
  set_accessible_label (self->end_date_row, _ ("End their coverage on (YYYY-MM-DD)"));
  g_signal_connect_swapped (self->full_check, "notify::active", G_CALLBACK (on_mode_toggled), self);
  g_signal_connect_swapped (self->end_date_row, "changed", G_CALLBACK (on_end_date_changed), self);
  g_signal_connect_swapped (self->date_dropdown, "notify::selected",
                            G_CALLBACK (on_date_order_selected), self);
  g_signal_connect_swapped (self->all_or_nothing_switch, "notify::active",
                            G_CALLBACK (update_buttons), self);
  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);
  update_buttons (self);
}

PdImportDialog *
pd_import_dialog_new (GtkWindow *parent, PdStore *store, const char *partner_id, GFile *file)
{
  PdImportDialog *self;
  g_autoptr (PdRecord) partner = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PD_IS_STORE (store), NULL);
  g_return_val_if_fail (partner_id != NULL, NULL);

  self = g_object_new (PD_TYPE_IMPORT_DIALOG, "transient-for", parent, NULL);
  self->store = g_object_ref (store);
  self->partner_id = g_strdup (partner_id);
  partner = pd_store_get (store, &pd_partner_type, partner_id, NULL);
  if (partner != NULL)
    {
      g_autofree char *title
          = g_strdup_printf (_ ("Upload Eligibility File for “%s”"), pd_record_get_title (partner));

      adw_window_title_set_title (self->window_title, title);
    }
  if (file != NULL)
    pd_import_dialog_set_file (self, file);
  return self;
}

const char *
pd_import_dialog_get_page (PdImportDialog *self)
{
  g_return_val_if_fail (PD_IS_IMPORT_DIALOG (self), NULL);

  return self->page;
}

const PdImportMapping *
pd_import_dialog_get_mapping (PdImportDialog *self)
{
  g_return_val_if_fail (PD_IS_IMPORT_DIALOG (self), NULL);

  return self->mapping;
}
