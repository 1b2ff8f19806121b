/* pd-partner-row.c: one row of the partner list: name, kind and a status badge. */
#include "config.h"

#include "pd-partner-row.h"

/* The row is built in code, not from a .ui template, and kept to two labels:
 * GTK 4.8's list view creates and destroys row widgets on every refilter,
 * and a search keystroke over 10,000 partners must take less than 16 ms. */
struct _PdPartnerRow
{
  GtkWidget parent_instance;

  /* Owned widgets */
  GtkLabel *text_label;   /* the name in bold, the kind dimmed below it */
  GtkLabel *status_label; /* the badge */

  /* Owned references */
  PdRecord   *partner;
  const char *status_nick; /* interned: the badge's colour class is "status-NICK" */
};

G_DEFINE_FINAL_TYPE (PdPartnerRow, pd_partner_row, GTK_TYPE_WIDGET)

static void
set_status (PdPartnerRow *self, const char *nick)
{
  char css_class[64];

  nick = g_intern_string (nick);
  if (nick == self->status_nick)
    return;
  if (self->status_nick != NULL)
    {
      g_snprintf (css_class, sizeof css_class, "status-%s", self->status_nick);
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), css_class);
    }
  self->status_nick = nick;
  if (nick != NULL)
    {
      g_snprintf (css_class, sizeof css_class, "status-%s", nick);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), css_class);
    }
}

static void
pd_partner_row_dispose (GObject *object)
{
  PdPartnerRow *self = PD_PARTNER_ROW (object);

  if (self->text_label != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->text_label));
  if (self->status_label != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->status_label));
  self->text_label = NULL;
  self->status_label = NULL;
  g_clear_object (&self->partner);
  G_OBJECT_CLASS (pd_partner_row_parent_class)->dispose (object);
}

static void
pd_partner_row_class_init (PdPartnerRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_partner_row_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "partnerrow");
}

static void
pd_partner_row_init (PdPartnerRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (widget)), 12);
  gtk_widget_set_margin_top (widget, 4);
  gtk_widget_set_margin_bottom (widget, 4);

  self->text_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->text_label, 0);
  gtk_label_set_ellipsize (self->text_label, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (self->text_label), TRUE);
  gtk_widget_set_parent (GTK_WIDGET (self->text_label), widget);

  self->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_valign (GTK_WIDGET (self->status_label), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "status-badge");
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "caption");
  gtk_widget_set_parent (GTK_WIDGET (self->status_label), widget);
}

PdPartnerRow *
pd_partner_row_new (void)
{
  return g_object_new (PD_TYPE_PARTNER_ROW, NULL);
}

static const char *
choice_label (PdRecord *partner, const char *field)
{
  const char *nick = partner ? pd_record_get_string (partner, field) : NULL;
  const char *label;

  if (nick == NULL)
    return "";
  label = pd_field_choice_label (pd_record_type_get_field (&pd_partner_type, field), nick);
  return label ? label : nick;
}

/* Called on every bind and refilter: updates the labels in place, never rebuilds widgets. */
void
pd_partner_row_set_partner (PdPartnerRow *self, PdRecord *partner)
{
  g_autofree char *markup = NULL;
  const char      *status;

  g_return_if_fail (PD_IS_PARTNER_ROW (self));

  /* A refilter re-points every bound row; most still show the same partner. */
  if (partner == self->partner)
    return;
  g_set_object (&self->partner, partner);
  status = choice_label (partner, "status");
  if (partner != NULL)
    markup
        = g_markup_printf_escaped ("<b>%s</b>\n<span size=\"small\" alpha=\"55%%\">%s</span>",
                                   pd_record_get_title (partner), choice_label (partner, "kind"));
  gtk_label_set_markup (self->text_label, markup ? markup : "");
  gtk_label_set_text (self->status_label, status);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), *status != '\0');
  set_status (self, partner ? pd_record_get_string (partner, "status") : NULL);
}
