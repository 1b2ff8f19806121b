/* pd-preferences-window.c: Preferences: practice name, currency, the server account, the team,
 * institutions and the examinations catalogue. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pd-account-page.h"
#include "pd-examination-editor.h"
#include "pd-preferences-window.h"
#include "pd-team-page.h"
#include "pd-record-editor.h"
#include "pd-stats-item.h"

struct _PdPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* Template Widgets */
  AdwEntryRow    *practice_name_row;
  AdwComboRow    *currency_row;
  GtkListBox     *institutions_list;
  GtkSearchEntry *examination_search;
  GtkListBox     *examinations_list;
  PdAccountPage  *account_page;
  PdTeamPage     *team_page;

  /* Owned References */
  PdStore         *store;
  PdSync          *sync;
  GListStore      *institutions; /* live PdRecord, by name */
  GListStore      *examinations; /* PdStatsItem of PdCatalogueEntry, by name, archived too */
  GtkCustomFilter *examination_filter;
  char           **search_words; /* folded words of the examination search, or NULL */
  guint            reload_examinations_id;

  gboolean loading;
};

G_DEFINE_FINAL_TYPE (PdPreferencesWindow, pd_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
show_error (PdPreferencesWindow *self, GError *error)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
}

static void
on_practice_name_changed (AdwEntryRow *row, PdPreferencesWindow *self)
{
  g_autoptr (GError) error = NULL;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  if (self->loading || self->store == NULL)
    return;
  if (!pd_store_set_setting (self->store, "practice_name", text, &error))
    show_error (self, error);
}

static void
on_currency_selected (AdwComboRow *row, GParamSpec *pspec, PdPreferencesWindow *self)
{
  g_autoptr (GError) error = NULL;
  GtkStringObject *item = adw_combo_row_get_selected_item (row);
  const char      *currency;

  if (self->loading || self->store == NULL || item == NULL)
    return;
  currency = gtk_string_object_get_string (item);
  if (!pd_store_set_setting (self->store, "currency", currency, &error))
    {
      show_error (self, error);
      return;
    }
  pd_money_set_currency (currency);
}

static void
load_settings (PdPreferencesWindow *self)
{
  g_autofree char *name = pd_store_get_setting (self->store, "practice_name");
  g_autofree char *currency = pd_store_get_setting (self->store, "currency");
  GListModel      *currencies = adw_combo_row_get_model (self->currency_row);
  guint            n = g_list_model_get_n_items (currencies);

  self->loading = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->practice_name_row), name ? name : "");
  if (currency == NULL)
    currency = g_strdup (pd_money_get_currency ());
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GtkStringObject) item = g_list_model_get_item (currencies, i);

      if (g_strcmp0 (gtk_string_object_get_string (item), currency) == 0)
        adw_combo_row_set_selected (self->currency_row, i);
    }
  self->loading = FALSE;
}

static void
reload_institutions (PdPreferencesWindow *self)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->institutions));

  records = pd_store_list (self->store, &pd_institution_type, NULL, NULL, &error);
  if (records == NULL)
    {
      show_error (self, error);
      return;
    }
  g_list_store_splice (self->institutions, 0, n_old, records->pdata, records->len);
}

/* The examinations catalogue */

static void
reload_examinations (PdPreferencesWindow *self)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;

  entries = pd_catalogue_list (self->store, TRUE, &error);
  if (entries == NULL)
    {
      show_error (self, error);
      return;
    }
  pd_stats_store_set (self->examinations, entries, (GDestroyNotify)pd_catalogue_entry_free);
}

static gboolean
reload_examinations_idle (gpointer data)
{
  PdPreferencesWindow *self = data;

  self->reload_examinations_id = 0;
  reload_examinations (self);
  return G_SOURCE_REMOVE;
}

/* A save of an examination and its prices is several changes: one reload. */
static void
schedule_reload_examinations (PdPreferencesWindow *self)
{
  if (self->reload_examinations_id == 0)
    self->reload_examinations_id = g_idle_add (reload_examinations_idle, self);
}

static gboolean
examination_matches (gpointer item, gpointer user_data)
{
  PdPreferencesWindow *self = user_data;
  PdCatalogueEntry    *entry = pd_stats_item_get (item);
  const char          *key = pd_record_get_search_key (entry->examination);

  for (guint i = 0; self->search_words != NULL && self->search_words[i] != NULL; i++)
    if (key == NULL || strstr (key, self->search_words[i]) == NULL)
      return FALSE;
  return TRUE;
}

static void
on_examination_search_changed (PdPreferencesWindow *self)
{
  g_autofree char *folded
      = pd_text_fold (gtk_editable_get_text (GTK_EDITABLE (self->examination_search)));

  g_clear_pointer (&self->search_words, g_strfreev);
  self->search_words = g_strsplit_set (g_strstrip (folded), " \t", -1);
  if (self->search_words[0] == NULL || *self->search_words[0] == '\0')
    g_clear_pointer (&self->search_words, g_strfreev);
  gtk_filter_changed (GTK_FILTER (self->examination_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* "30 min · Riverside Medical Centre 120.00 EUR · Northgate Diagnostics not offered" */
static char *
examination_subtitle (PdPreferencesWindow *self, PdCatalogueEntry *entry)
{
  g_autoptr (GString) text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->institutions));

  if (pd_record_get_bool (entry->examination, "archived"))
    g_string_append_printf (text, "%s · ", _ ("Archived"));
  /* Translators: a duration in minutes */
  g_string_append_printf (text, _ ("%d min"),
                          (int)pd_record_get_int (entry->examination, "duration_minutes"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (PdRecord) institution
          = g_list_model_get_item (G_LIST_MODEL (self->institutions), i);
      gint64          *price = g_hash_table_lookup (entry->prices, pd_record_get_id (institution));
      g_autofree char *amount = price ? pd_money_format (*price, pd_money_get_currency ()) : NULL;

      g_string_append_printf (text, " · %s %s", pd_record_get_title (institution),
                              amount ? amount : _ ("not offered"));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static PdCatalogueEntry *
button_entry (GtkButton *button)
{
  return pd_stats_item_get (g_object_get_data (G_OBJECT (button), "record"));
}

static void
on_edit_examination_clicked (GtkButton *button, PdPreferencesWindow *self)
{
  PdExaminationEditor *editor
      = pd_examination_editor_new (GTK_WINDOW (self), self->store, button_entry (button));

  gtk_window_present (GTK_WINDOW (editor));
}

static void
on_archive_response (AdwMessageDialog *dialog, const char *response, PdPreferencesWindow *self)
{
  PdCatalogueEntry *entry = pd_stats_item_get (g_object_get_data (G_OBJECT (dialog), "record"));
  gboolean          archived = pd_record_get_bool (entry->examination, "archived");
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "archive") != 0)
    return;
  if (!pd_catalogue_set_archived (self->store, pd_record_get_id (entry->examination), !archived,
                                  &error))
    show_error (self, error);
}

static void
on_archive_clicked (GtkButton *button, PdPreferencesWindow *self)
{
  PdCatalogueEntry *entry = button_entry (button);
  gboolean          archived = pd_record_get_bool (entry->examination, "archived");
  g_autofree char  *heading = NULL;
  AdwMessageDialog *dialog;

  heading = g_strdup_printf (archived ? _ ("Bring Back “%s”?") : _ ("Archive “%s”?"),
                             pd_record_get_title (entry->examination));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_WINDOW (self), heading,
      archived ? _ ("Partners can book it again where it is enabled and offered.")
               : _ ("Partners can no longer book it. Its prices, activations and bookings are "
                    "kept, and you can bring it back.")));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "archive",
                                    archived ? _ ("_Bring Back") : _ ("_Archive"), NULL);
  if (!archived)
    adw_message_dialog_set_response_appearance (dialog, "archive", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "record",
                          g_object_ref (g_object_get_data (G_OBJECT (button), "record")),
                          g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_archive_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *row_button_new (PdPreferencesWindow *self, gpointer record, const char *icon_name,
                                  const char *tooltip, GCallback callback);

static GtkWidget *
create_examination_row (gpointer item, gpointer user_data)
{
  PdPreferencesWindow *self = user_data;
  PdCatalogueEntry    *entry = pd_stats_item_get (item);
  gboolean             archived = pd_record_get_bool (entry->examination, "archived");
  GtkWidget           *row = adw_action_row_new ();
  g_autofree char     *title = NULL;
  g_autofree char     *subtitle = examination_subtitle (self, entry);
  g_autofree char     *edit = NULL;
  g_autofree char     *archive = NULL;

  title = g_strdup_printf ("%s — %s", pd_record_get_string (entry->examination, "code"),
                           pd_record_get_string (entry->examination, "name"));
  /* Translators: tooltip of a button; %s is an examination */
  edit = g_strdup_printf (_ ("Edit %s"), title);
  /* Translators: tooltip of a button; %s is an examination */
  archive = g_strdup_printf (archived ? _ ("Bring back %s") : _ ("Archive %s"), title);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (archived)
    gtk_widget_add_css_class (row, "dim-label");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             row_button_new (self, item, "document-edit-symbolic", edit,
                                             G_CALLBACK (on_edit_examination_clicked)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             row_button_new (self, item,
                                             archived ? "edit-undo-symbolic" : "folder-symbolic",
                                             archive, G_CALLBACK (on_archive_clicked)));
  return row;
}

static void
add_examination_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdPreferencesWindow *self = PD_PREFERENCES_WINDOW (widget);
  PdExaminationEditor *editor = pd_examination_editor_new (GTK_WINDOW (self), self->store, NULL);

  gtk_window_present (GTK_WINDOW (editor));
}

static void
setup_examinations (PdPreferencesWindow *self)
{
  GtkFilterListModel *filtered;
  GtkWidget          *placeholder;

  self->examinations = g_list_store_new (PD_TYPE_STATS_ITEM);
  self->examination_filter = gtk_custom_filter_new (examination_matches, self, NULL);
  filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->examinations)),
                                        g_object_ref (GTK_FILTER (self->examination_filter)));
  gtk_list_box_bind_model (self->examinations_list, G_LIST_MODEL (filtered), create_examination_row,
                           self, NULL);
  g_object_unref (filtered);
  placeholder = gtk_label_new (_ ("No examinations"));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 12);
  gtk_widget_set_margin_bottom (placeholder, 12);
  gtk_list_box_set_placeholder (self->examinations_list, placeholder);
  g_signal_connect_swapped (self->examination_search, "search-changed",
                            G_CALLBACK (on_examination_search_changed), self);
}

static void
on_record_changed (PdStore *store, const char *collection, const char *id,
                   PdPreferencesWindow *self)
{
  if (g_strcmp0 (collection, pd_institution_type.name) == 0)
    {
      reload_institutions (self);
      schedule_reload_examinations (self);
    }
  else if (g_strcmp0 (collection, pd_examination_type.name) == 0
           || g_strcmp0 (collection, pd_examination_price_type.name) == 0)
    schedule_reload_examinations (self);
}

static void
open_editor (PdPreferencesWindow *self, PdRecord *record)
{
  PdRecordEditor *editor = pd_record_editor_new (GTK_WINDOW (self), self->store, record);

  gtk_window_present (GTK_WINDOW (editor));
}

/* Titles of the live partners whose terms name the institution ID. */
static GPtrArray *
partners_naming (PdPreferencesWindow *self, const char *id)
{
  g_autoptr (GPtrArray) partners = pd_store_list (self->store, &pd_partner_type, NULL, NULL, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; partners != NULL && i < partners->len; i++)
    {
      PdRecord *partner = g_ptr_array_index (partners, i);

      for (guint f = 0; f < pd_partner_type.n_fields; f++)
        {
          const PdField *field = &pd_partner_type.fields[f];
          gboolean       names_it = FALSE;

          if (field->ref_type != &pd_institution_type)
            continue;
          if (field->type == PD_FIELD_REF_LIST)
            names_it = g_strv_contains (pd_record_get_strv (partner, field->name), id);
          else if (field->type == PD_FIELD_REF)
            names_it = g_strcmp0 (pd_record_get_string (partner, field->name), id) == 0;
          if (names_it)
            {
              g_ptr_array_add (names, g_strdup (pd_record_get_title (partner)));
              break;
            }
        }
    }
  return names;
}

static void
refuse_delete (PdPreferencesWindow *self, PdRecord *institution, GPtrArray *names)
{
  g_autofree char  *body = NULL;
  AdwMessageDialog *dialog;

  body = g_strdup_printf (
      g_dngettext (
          GETTEXT_PACKAGE,
          "“%s” is named in the terms of %u partner (%s). Remove it from those terms first.",
          "“%s” is named in the terms of %u partners (%s, …). Remove it from those terms first.",
          names->len),
      pd_record_get_title (institution), names->len, (const char *)g_ptr_array_index (names, 0));
  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_WINDOW (self), _ ("Institution in Use"), body));
  adw_message_dialog_add_response (dialog, "close", _ ("_OK"));
  adw_message_dialog_set_default_response (dialog, "close");
  adw_message_dialog_set_close_response (dialog, "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_delete_response (AdwMessageDialog *dialog, const char *response, PdPreferencesWindow *self)
{
  PdRecord *institution = g_object_get_data (G_OBJECT (dialog), "record");
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "delete") != 0)
    return;
  if (!pd_store_delete (self->store, &pd_institution_type, pd_record_get_id (institution), &error))
    show_error (self, error);
}

static void
confirm_delete (PdPreferencesWindow *self, PdRecord *institution)
{
  g_autofree char  *heading = NULL;
  AdwMessageDialog *dialog;

  heading = g_strdup_printf (_ ("Delete “%s”?"), pd_record_get_title (institution));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_WINDOW (self), heading,
      _ ("Partners can no longer be given this institution. The deletion stays in the history.")));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "delete", _ ("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "record", g_object_ref (institution), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_delete_clicked (GtkButton *button, PdPreferencesWindow *self)
{
  PdRecord *institution = g_object_get_data (G_OBJECT (button), "record");
  g_autoptr (GPtrArray) names = partners_naming (self, pd_record_get_id (institution));

  if (names->len > 0)
    refuse_delete (self, institution, names);
  else
    confirm_delete (self, institution);
}

static void
on_edit_clicked (GtkButton *button, PdPreferencesWindow *self)
{
  open_editor (self, g_object_get_data (G_OBJECT (button), "record"));
}

static GtkWidget *
row_button_new (PdPreferencesWindow *self, gpointer record, const char *icon_name,
                const char *tooltip, GCallback callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  g_object_set_data_full (G_OBJECT (button), "record", g_object_ref (record), g_object_unref);
  g_signal_connect_object (button, "clicked", callback, self, 0);
  return button;
}

static GtkWidget *
create_institution_row (gpointer item, gpointer user_data)
{
  PdPreferencesWindow *self = user_data;
  PdRecord            *record = item;
  const char          *title = pd_record_get_title (record);
  GtkWidget           *row = adw_action_row_new ();
  g_autofree char     *address = NULL;
  g_autofree char     *edit = NULL;
  g_autofree char *delete = NULL;

  if (pd_record_type_get_field (&pd_institution_type, "address") != NULL)
    address = pd_record_format (record, "address");
  /* Translators: tooltip of a button; %s is an institution */
  edit = g_strdup_printf (_ ("Edit %s"), title);
  /* Translators: tooltip of a button; %s is an institution */
  delete = g_strdup_printf (_ ("Delete %s"), title);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (address != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (address, "\n", -1);

      g_free (address);
      /* Translators: separates the lines of an address shown on one line */
      address = g_strjoinv (_ (", "), lines);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), address ? address : "");
  adw_action_row_add_suffix (
      ADW_ACTION_ROW (row),
      row_button_new (self, record, "document-edit-symbolic", edit, G_CALLBACK (on_edit_clicked)));
  adw_action_row_add_suffix (
      ADW_ACTION_ROW (row),
      row_button_new (self, record, "user-trash-symbolic", delete, G_CALLBACK (on_delete_clicked)));
  return row;
}

static void
add_institution_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdPreferencesWindow *self = PD_PREFERENCES_WINDOW (widget);
  g_autoptr (PdRecord) record = pd_record_new (&pd_institution_type);

  open_editor (self, record);
}

/* The server account and the team */

/* Without a sync (a window made without an application) there is no account to show; the
 * team list still works. Team needs manage_team (always held while local only). */
static void
update_sync_pages (PdPreferencesWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->account_page), self->sync != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->team_page),
                          self->sync == NULL || pd_sync_has_permission (self->sync, "manage_team"));
}

static void
on_sync_notify (PdPreferencesWindow *self, GParamSpec *pspec)
{
  update_sync_pages (self);
}

static void
pd_preferences_window_dispose (GObject *object)
{
  PdPreferencesWindow *self = PD_PREFERENCES_WINDOW (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_PREFERENCES_WINDOW);
  g_clear_handle_id (&self->reload_examinations_id, g_source_remove);
  g_clear_object (&self->store);
  g_clear_object (&self->institutions);
  g_clear_object (&self->examinations);
  g_clear_object (&self->examination_filter);
  g_clear_pointer (&self->search_words, g_strfreev);
  G_OBJECT_CLASS (pd_preferences_window_parent_class)->dispose (object);
}

static void
pd_preferences_window_class_init (PdPreferencesWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_preferences_window_dispose;

  g_type_ensure (PD_TYPE_ACCOUNT_PAGE);
  g_type_ensure (PD_TYPE_TEAM_PAGE);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PdPreferencesWindow, practice_name_row);
  gtk_widget_class_bind_template_child (widget_class, PdPreferencesWindow, currency_row);
  gtk_widget_class_bind_template_child (widget_class, PdPreferencesWindow, institutions_list);
  gtk_widget_class_bind_template_child (widget_class, PdPreferencesWindow, examination_search);
  gtk_widget_class_bind_template_child (widget_class, PdPreferencesWindow, examinations_list);
  gtk_widget_class_bind_template_child (widget_class, PdPreferencesWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, PdPreferencesWindow, team_page);
  gtk_widget_class_bind_template_callback (widget_class, on_practice_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_currency_selected);

  gtk_widget_class_install_action (widget_class, "prefs.add-institution", NULL,
                                   add_institution_action);
  gtk_widget_class_install_action (widget_class, "prefs.add-examination", NULL,
                                   add_examination_action);
}

static void
pd_preferences_window_init (PdPreferencesWindow *self)
{
  GtkWidget *placeholder;

  self->loading = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  self->loading = FALSE;

  self->institutions = g_list_store_new (PD_TYPE_RECORD);
  gtk_list_box_bind_model (self->institutions_list, G_LIST_MODEL (self->institutions),
                           create_institution_row, self, NULL);
  placeholder = gtk_label_new (_ ("No institutions yet"));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 12);
  gtk_widget_set_margin_bottom (placeholder, 12);
  gtk_list_box_set_placeholder (self->institutions_list, placeholder);
  setup_examinations (self);
}

PdPreferencesWindow *
pd_preferences_window_new (GtkWindow *parent, PdStore *store)
{
  PdPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "record-changed", G_CALLBACK (on_record_changed), self);
  pd_team_page_set_store (self->team_page, store);
  update_sync_pages (self);
  load_settings (self);
  reload_institutions (self);
  reload_examinations (self);
  return self;
}

/* Shows the Account page for SYNC (the store's) and the Team page as its permissions allow. */
void
pd_preferences_window_set_sync (PdPreferencesWindow *self, PdSync *sync)
{
  g_return_if_fail (PD_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (sync == NULL || PD_IS_SYNC (sync));

  if (self->sync == sync)
    return;
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  if (sync != NULL)
    g_signal_connect_swapped (sync, "notify", G_CALLBACK (on_sync_notify), self);
  pd_account_page_set_sync (self->account_page, sync);
  pd_team_page_set_sync (self->team_page, sync);
  update_sync_pages (self);
}
