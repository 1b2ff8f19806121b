/* pd-booking-dialog.c: record a booking by hand: partner, institution, examination, when, patient.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pd-booking-dialog.h"

#define PEOPLE_SHOWN 8

struct _PdBookingDialog
{
  AdwWindow parent_instance;

  /* Template Widgets */
  GtkWidget     *save_button;
  GtkLabel      *error_label;
  AdwComboRow   *partner_row;
  AdwComboRow   *institution_row;
  AdwComboRow   *examination_row;
  GtkLabel      *reason_label;
  AdwActionRow  *price_row;
  GtkMenuButton *date_button;
  GtkCalendar   *calendar;
  AdwEntryRow   *time_row;
  GtkLabel      *time_error_label;
  AdwEntryRow   *patient_row;
  GtkLabel      *person_label;
  GtkListBox    *people_list;

  /* Owned References */
  PdStore      *store;
  GPtrArray    *partner_ids;     /* char*, per partner_row item */
  GPtrArray    *institution_ids; /* char*, per institution_row item */
  GPtrArray    *examination_ids; /* char*, per examination_row item */
  char         *person_id;       /* the chosen person, or NULL: patient_row is a name */
  GCancellable *people_search;

  gboolean updating;
};

G_DEFINE_FINAL_TYPE (PdBookingDialog, pd_booking_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_BOOKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
selected_id (AdwComboRow *row, GPtrArray *ids)
{
  guint selected = adw_combo_row_get_selected (row);

  if (ids == NULL || selected == GTK_INVALID_LIST_POSITION || selected >= ids->len)
    return NULL;
  return g_ptr_array_index (ids, selected);
}

static const char *
partner_id (PdBookingDialog *self)
{
  return selected_id (self->partner_row, self->partner_ids);
}

static const char *
institution_id (PdBookingDialog *self)
{
  return selected_id (self->institution_row, self->institution_ids);
}

static const char *
examination_id (PdBookingDialog *self)
{
  return selected_id (self->examination_row, self->examination_ids);
}

static void
set_label (GtkLabel *label, const char *text)
{
  gtk_label_set_text (label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

static void
show_error (PdBookingDialog *self, const char *message)
{
  set_label (self->error_label, message);
}

/* The time typed: "9:30" or "09:30"; FALSE with a message otherwise. */
static gboolean
parse_time (const char *text, int *hour, int *minute, char **message)
{
  g_auto (GStrv) parts = g_strsplit (text, ":", -1);
  char  *end_h = NULL, *end_m = NULL;
  gint64 h, m;

  if (g_strv_length (parts) == 2)
    {
      h = g_ascii_strtoll (g_strstrip (parts[0]), &end_h, 10);
      m = g_ascii_strtoll (g_strstrip (parts[1]), &end_m, 10);
      if (*parts[0] != '\0' && *end_h == '\0' && strlen (parts[1]) == 2 && *end_m == '\0' && h >= 0
          && h <= 23 && m >= 0 && m <= 59)
        {
          *hour = h;
          *minute = m;
          return TRUE;
        }
    }
  *message = g_strdup (_ ("Enter a time as hours and minutes, from 00:00 to 23:59"));
  return FALSE;
}

/* The local date and time chosen, or NULL with the time's message shown. */
static GDateTime *
booked_at (PdBookingDialog *self)
{
  g_autoptr (GDateTime) day = gtk_calendar_get_date (self->calendar);
  g_autofree char *message = NULL;
  int              hour, minute;

  if (!parse_time (gtk_editable_get_text (GTK_EDITABLE (self->time_row)), &hour, &minute, &message))
    {
      set_label (self->time_error_label, message);
      return NULL;
    }
  set_label (self->time_error_label, NULL);
  return g_date_time_new_local (g_date_time_get_year (day), g_date_time_get_month (day),
                                g_date_time_get_day_of_month (day), hour, minute, 0);
}

/* The patient's name typed (owned, trimmed), or NULL when a person is chosen or none typed. */
static char *
dup_patient_name (PdBookingDialog *self)
{
  g_autofree char *text
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->patient_row))));

  return self->person_id == NULL && *text != '\0' ? g_steal_pointer (&text) : NULL;
}

static void
update_save (PdBookingDialog *self)
{
  g_autoptr (GDateTime) when = booked_at (self);
  g_autofree char *name = dup_patient_name (self);
  char             date[32];

  if (when != NULL)
    {
      g_autofree char *text = g_date_time_format (when, "%Y-%m-%d");

      g_strlcpy (date, text, sizeof date);
    }
  else
    {
      g_autoptr (GDateTime) day = gtk_calendar_get_date (self->calendar);
      g_autofree char *text = g_date_time_format (day, "%Y-%m-%d");

      g_strlcpy (date, text, sizeof date);
    }
  gtk_menu_button_set_label (self->date_button, date);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "booking.save",
                                 partner_id (self) != NULL && institution_id (self) != NULL
                                     && examination_id (self) != NULL && when != NULL
                                     && (self->person_id != NULL || name != NULL));
}

static void
update_price (PdBookingDialog *self)
{
  gint64 price;

  if (examination_id (self) != NULL && institution_id (self) != NULL
      && pd_catalogue_get_price (self->store, examination_id (self), institution_id (self), &price))
    {
      g_autofree char *text = pd_money_format (price, pd_money_get_currency ());

      adw_action_row_set_subtitle (self->price_row, text);
    }
  else
    adw_action_row_set_subtitle (self->price_row, "—");
}

/* Fills ROW from parallel NAMES and IDS (both stolen into the dialog's arrays). */
static void
fill_row (PdBookingDialog *self, AdwComboRow *row, GPtrArray **ids, GPtrArray *names,
          GPtrArray *new_ids)
{
  g_autoptr (GtkStringList) model = gtk_string_list_new (NULL);

  for (guint i = 0; i < names->len; i++)
    gtk_string_list_append (model, g_ptr_array_index (names, i));
  g_clear_pointer (ids, g_ptr_array_unref);
  *ids = new_ids;
  self->updating = TRUE;
  adw_combo_row_set_model (row, G_LIST_MODEL (model));
  adw_combo_row_set_selected (row, names->len > 0 ? 0 : GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (row), names->len > 0);
}

static char *
dup_title (PdStore *store, const PdRecordType *type, const char *id)
{
  g_autoptr (PdRecord) record = pd_store_get (store, type, id, NULL);

  return g_strdup (record ? pd_record_get_title (record) : id);
}

/* Examinations enabled (and bookable) for the partner at the institution; else why not. */
static void
load_examinations (PdBookingDialog *self)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray      *ids = g_ptr_array_new_with_free_func (g_free);
  PdTrafficFilter filter = { .partner_id = partner_id (self) };
  g_autoptr (PdTrafficMatrix) matrix = NULL;
  g_autofree char *reason = NULL;
  int              column = -1;

  if (partner_id (self) != NULL && institution_id (self) != NULL)
    matrix = pd_traffic_matrix_load (self->store, institution_id (self), &filter, NULL);
  if (matrix != NULL)
    column = pd_traffic_matrix_find_column (matrix, partner_id (self));
  for (guint row = 0; column >= 0 && row < pd_traffic_matrix_get_n_rows (matrix); row++)
    {
      if (!pd_traffic_matrix_get_enabled (matrix, row, column)
          || pd_traffic_matrix_get_block (matrix, row, column) != PD_CELL_OK)
        continue;
      g_ptr_array_add (
          names, g_strdup_printf ("%s — %s", pd_traffic_matrix_get_examination_code (matrix, row),
                                  pd_traffic_matrix_get_examination_name (matrix, row)));
      g_ptr_array_add (ids, g_strdup (pd_traffic_matrix_get_examination_id (matrix, row)));
    }
  if (names->len == 0 && partner_id (self) != NULL && institution_id (self) != NULL)
    {
      g_autofree char *partner = dup_title (self->store, &pd_partner_type, partner_id (self));
      g_autofree char *institution
          = dup_title (self->store, &pd_institution_type, institution_id (self));
      g_autoptr (PdRecord) record
          = pd_store_get (self->store, &pd_partner_type, partner_id (self), NULL);

      if (record != NULL && g_strcmp0 (pd_record_get_string (record, "status"), "active") != 0)
        reason = pd_cell_block_describe (PD_CELL_PARTNER_NOT_ACTIVE, partner, institution, NULL);
      else
        /* Translators: %s are a partner and an institution */
        reason = g_strdup_printf (_ ("No examinations are enabled for %s at %s. Enable them in "
                                     "Traffic Channels."),
                                  partner, institution);
    }
  fill_row (self, self->examination_row, &self->examination_ids, names, ids);
  set_label (self->reason_label, reason);
  update_price (self);
  update_save (self);
}

/* The institutions in the partner's terms. */
static void
load_institutions (PdBookingDialog *self)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (PdRecord) partner = NULL;

  if (partner_id (self) != NULL)
    partner = pd_store_get (self->store, &pd_partner_type, partner_id (self), NULL);
  if (partner != NULL)
    {
      const char *const *allowed = pd_record_get_strv (partner, "institutions");

      for (guint i = 0; allowed[i] != NULL; i++)
        {
          g_autoptr (PdRecord) institution
              = pd_store_get (self->store, &pd_institution_type, allowed[i], NULL);

          if (institution == NULL || pd_record_get_deleted (institution))
            continue;
          g_ptr_array_add (names, g_strdup (pd_record_get_title (institution)));
          g_ptr_array_add (ids, g_strdup (allowed[i]));
        }
    }
  fill_row (self, self->institution_row, &self->institution_ids, names, ids);
  load_examinations (self);
  if (partner != NULL && names->len == 0)
    {
      g_autofree char *reason = NULL;

      /* Translators: %s is a partner */
      reason = g_strdup_printf (_ ("%s may not book at any institution: add institutions to its "
                                   "terms first."),
                                pd_record_get_title (partner));
      set_label (self->reason_label, reason);
    }
}

static void
load_partners (PdBookingDialog *self, const char *preset)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) partners = NULL;

  if (preset != NULL)
    {
      g_ptr_array_add (names, dup_title (self->store, &pd_partner_type, preset));
      g_ptr_array_add (ids, g_strdup (preset));
    }
  else
    partners = pd_store_list (self->store, &pd_partner_type, "status", "active", NULL);
  for (guint i = 0; partners != NULL && i < partners->len; i++)
    {
      PdRecord *partner = g_ptr_array_index (partners, i);

      g_ptr_array_add (names, g_strdup (pd_record_get_title (partner)));
      g_ptr_array_add (ids, g_strdup (pd_record_get_id (partner)));
    }
  fill_row (self, self->partner_row, &self->partner_ids, names, ids);
  gtk_widget_set_sensitive (GTK_WIDGET (self->partner_row), preset == NULL && names->len > 0);
  load_institutions (self);
}

static void
on_partner_selected (PdBookingDialog *self)
{
  if (self->updating)
    return;
  g_clear_pointer (&self->person_id, g_free);
  set_label (self->person_label, NULL);
  load_institutions (self);
}

static void
on_institution_selected (PdBookingDialog *self)
{
  if (!self->updating)
    load_examinations (self);
}

static void
on_examination_selected (PdBookingDialog *self)
{
  if (self->updating)
    return;
  update_price (self);
  update_save (self);
}

/* People */

static void
clear_people (PdBookingDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->people_list))) != NULL)
    gtk_list_box_remove (self->people_list, child);
  gtk_widget_set_visible (GTK_WIDGET (self->people_list), FALSE);
}

static void
on_person_activated (AdwActionRow *row, PdBookingDialog *self)
{
  const char      *id = g_object_get_data (G_OBJECT (row), "person-id");
  const char      *name = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
  g_autofree char *chosen = NULL;

  g_free (self->person_id);
  self->person_id = g_strdup (id);
  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->patient_row), name);
  self->updating = FALSE;
  /* Translators: %s is a person of the partner's eligibility list */
  chosen = g_strdup_printf (_ ("Person of this partner: %s"), name);
  set_label (self->person_label, chosen);
  g_cancellable_cancel (self->people_search);
  clear_people (self);
  update_save (self);
}

static GtkWidget *
person_row_new (PdBookingDialog *self, PdRecord *person)
{
  GtkWidget       *row = adw_action_row_new ();
  const char      *name = pd_record_get_title (person);
  g_autofree char *subtitle = NULL;

  subtitle = g_strdup_printf ("%s · %s", pd_record_get_string (person, "member_id"),
                              pd_record_get_string (person, "date_of_birth"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_object_set_data_full (G_OBJECT (row), "person-id", g_strdup (pd_record_get_id (person)),
                          g_free);
  g_signal_connect (row, "activated", G_CALLBACK (on_person_activated), self);
  return row;
}

static void
on_people_found (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PdBookingDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PdPeopleResult) found = pd_people_query_run_finish (result, &error);

  if (found == NULL || found->rows == NULL)
    return;
  clear_people (self);
  for (guint i = 0; i < found->rows->len && i < PEOPLE_SHOWN; i++)
    gtk_list_box_append (self->people_list,
                         person_row_new (self, g_ptr_array_index (found->rows, i)));
  gtk_widget_set_visible (GTK_WIDGET (self->people_list), found->rows->len > 0);
}

static void
on_patient_changed (PdBookingDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->patient_row));
  g_autoptr (PdPeopleFilter) filter = NULL;

  if (self->updating)
    return;
  /* Typing again means a name, until a person is chosen. */
  g_clear_pointer (&self->person_id, g_free);
  set_label (self->person_label, NULL);
  update_save (self);
  if (self->people_search != NULL)
    g_cancellable_cancel (self->people_search);
  g_clear_object (&self->people_search);
  if (partner_id (self) == NULL || g_utf8_strlen (text, -1) < 2)
    {
      clear_people (self);
      return;
    }
  self->people_search = g_cancellable_new ();
  filter = pd_people_filter_new (partner_id (self));
  filter->search = g_strdup (text);
  pd_people_query_run_async (pd_store_get_path (self->store), filter, PEOPLE_SHOWN,
                             self->people_search, on_people_found, g_object_ref (self));
}

/* Saving */

static void
book (PdBookingDialog *self)
{
  g_autoptr (GDateTime) when = booked_at (self);
  g_autoptr (PdRecord) booking = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = dup_patient_name (self);

  if (when == NULL)
    return;
  booking = pd_booking_create (self->store, partner_id (self), institution_id (self),
                               examination_id (self), when, self->person_id, name, NULL, &error);
  if (booking == NULL)
    {
      show_error (self, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_BOOKED], 0, pd_record_get_id (booking));
  gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
book_idle (gpointer data)
{
  PdBookingDialog *self = data;

  if (self->store != NULL) /* not closed meanwhile */
    book (self);
  return G_SOURCE_REMOVE;
}

/* Booking closes this dialog, the question's parent: not while the question still answers. */
static void
on_warning_response (AdwMessageDialog *dialog, const char *response, PdBookingDialog *self)
{
  if (g_strcmp0 (response, "book") == 0)
    g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, book_idle, g_object_ref (self), g_object_unref);
}

static void
ask_book_anyway (PdBookingDialog *self, GPtrArray *warnings)
{
  g_autoptr (GString) body = g_string_new (NULL);
  AdwMessageDialog *dialog;

  for (guint i = 0; i < warnings->len; i++)
    g_string_append_printf (body, "%s• %s", i > 0 ? "\n" : "",
                            (const char *)g_ptr_array_index (warnings, i));
  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_WINDOW (self), _ ("Book anyway?"), body->str));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "book", _ ("_Book Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "book", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_warning_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PdBookingDialog *self = PD_BOOKING_DIALOG (widget);
  g_autoptr (GDateTime) when = booked_at (self);
  g_autoptr (GPtrArray) warnings = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = dup_patient_name (self);

  if (when == NULL)
    return;
  if (!pd_booking_check (self->store, partner_id (self), institution_id (self),
                         examination_id (self), when, self->person_id, name, &warnings, &error))
    {
      show_error (self, error->message);
      return;
    }
  show_error (self, NULL);
  if (warnings != NULL && warnings->len > 0)
    ask_book_anyway (self, warnings);
  else
    book (self);
}

static void
pd_booking_dialog_dispose (GObject *object)
{
  PdBookingDialog *self = PD_BOOKING_DIALOG (object);

  if (self->people_search != NULL)
    g_cancellable_cancel (self->people_search);
  g_clear_object (&self->people_search);
  gtk_widget_dispose_template (GTK_WIDGET (self), PD_TYPE_BOOKING_DIALOG);
  g_clear_object (&self->store);
  g_clear_pointer (&self->partner_ids, g_ptr_array_unref);
  g_clear_pointer (&self->institution_ids, g_ptr_array_unref);
  g_clear_pointer (&self->examination_ids, g_ptr_array_unref);
  g_clear_pointer (&self->person_id, g_free);
  G_OBJECT_CLASS (pd_booking_dialog_parent_class)->dispose (object);
}

static void
pd_booking_dialog_class_init (PdBookingDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_booking_dialog_dispose;

  signals[SIGNAL_BOOKED] = g_signal_new ("booked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/partnerdesk/PartnerDesk/ui/pd-booking-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, partner_row);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, institution_row);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, examination_row);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, reason_label);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, price_row);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, date_button);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, calendar);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, time_row);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, time_error_label);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, patient_row);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, person_label);
  gtk_widget_class_bind_template_child (widget_class, PdBookingDialog, people_list);

  gtk_widget_class_install_action (widget_class, "booking.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "booking.save",
                                       NULL);
}

static void
pd_booking_dialog_init (PdBookingDialog *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:00");

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_editable_set_text (GTK_EDITABLE (self->time_row), time);
  g_signal_connect_swapped (self->partner_row, "notify::selected", G_CALLBACK (on_partner_selected),
                            self);
  g_signal_connect_swapped (self->institution_row, "notify::selected",
                            G_CALLBACK (on_institution_selected), self);
  g_signal_connect_swapped (self->examination_row, "notify::selected",
                            G_CALLBACK (on_examination_selected), self);
  g_signal_connect_swapped (self->calendar, "day-selected", G_CALLBACK (update_save), self);
  g_signal_connect_swapped (self->time_row, "changed", G_CALLBACK (update_save), self);
  g_signal_connect_swapped (self->patient_row, "changed", G_CALLBACK (on_patient_changed), self);
}

PdBookingDialog *
pd_booking_dialog_new (GtkWindow *parent, PdStore *store, const char *partner_id)
{
  PdBookingDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PD_IS_STORE (store), NULL);

  self = g_object_new (PD_TYPE_BOOKING_DIALOG, "transient-for", parent, NULL);
  self->store = g_object_ref (store);
  load_partners (self, partner_id);
  return self;
}

static gboolean
select_in (AdwComboRow *row, GPtrArray *ids, const char *id)
{
  for (guint i = 0; ids != NULL && i < ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (ids, i), id) == 0)
      {
        adw_combo_row_set_selected (row, i);
        return TRUE;
      }
  return FALSE;
}

gboolean
pd_booking_dialog_select_institution (PdBookingDialog *self, const char *institution_id)
{
  g_return_val_if_fail (PD_IS_BOOKING_DIALOG (self), FALSE);

  return select_in (self->institution_row, self->institution_ids, institution_id);
}

gboolean
pd_booking_dialog_select_examination (PdBookingDialog *self, const char *examination_id)
{
  g_return_val_if_fail (PD_IS_BOOKING_DIALOG (self), FALSE);

  return select_in (self->examination_row, self->examination_ids, examination_id);
}

void
pd_booking_dialog_set_date (PdBookingDialog *self, GDateTime *local_date_time)
{
  g_autofree char *time = NULL;

  g_return_if_fail (PD_IS_BOOKING_DIALOG (self));

  time = g_date_time_format (local_date_time, "%H:%M");
  gtk_calendar_select_day (self->calendar, local_date_time);
  gtk_editable_set_text (GTK_EDITABLE (self->time_row), time);
  update_save (self);
}
