/* pd-partner-row.c: one row of the partner list: name, kind and a status badge. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-partner-row.h"

struct _PdPartnerRow
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkLabel *name_label;
  GtkLabel *kind_label;
  GtkLabel *status_label;

  /* Owned references */
  char *status_class;  /* "status-active": the badge's colour class */
};

G_DEFINE_FINAL_TYPE (PdPartnerRow, pd_partner_row, GTK_TYPE_WIDGET)

static void
set_status_class (PdPartnerRow *self,
                  const char   *status)
{
  g_autofree char *css_class = status ? g_strdup_printf ("status-%s", status) : NULL;

  if (g_strcmp0 (css_class, self->status_class) == 0)
    return;
  if (self->status_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), self->status_class);
  g_free (self->status_class);
  self->status_class = g_steal_pointer (&css_class);
  if (self->status_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), self->status_class);
}

static void
set_label (GtkLabel   *label,
           const char *text)
{
  gtk_label_set_text (label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

static void
pd_partner_row_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), PD_TYPE_PARTNER_ROW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (pd_partner_row_parent_class)->dispose (object);
}

static void
pd_partner_row_finalize (GObject *object)
{
  g_free (PD_PARTNER_ROW (object)->status_class);
  G_OBJECT_CLASS (pd_partner_row_parent_class)->finalize (object);
}

static void
pd_partner_row_class_init (PdPartnerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_partner_row_dispose;
  object_class->finalize = pd_partner_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/partnerdesk/PartnerDesk/ui/pd-partner-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PdPartnerRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerRow, kind_label);
  gtk_widget_class_bind_template_child (widget_class, PdPartnerRow, status_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
pd_partner_row_init (PdPartnerRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PdPartnerRow *
pd_partner_row_new (void)
{
  return g_object_new (PD_TYPE_PARTNER_ROW, NULL);
}

/* Called on every bind: updates the labels in place, never rebuilds widgets. */
void
pd_partner_row_set_partner (PdPartnerRow *self,
                            PdRecord     *partner)
{
  g_autofree char *kind = NULL;
  g_autofree char *status = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (PD_IS_PARTNER_ROW (self));

  if (partner != NULL)
    {
      kind = pd_record_format (partner, "kind");
      status = pd_record_format (partner, "status");
    }
  gtk_label_set_text (self->name_label, partner ? pd_record_get_title (partner) : "");
  set_label (self->kind_label, kind);
  set_label (self->status_label, status);
  set_status_class (self, partner ? pd_record_get_string (partner, "status") : NULL);

  /* Translators: how a screen reader reads a partner row: name, kind, status. */
  label = partner ? g_strdup_printf (_("%s, %s, %s"), pd_record_get_title (partner),
                                     kind ? kind : "", status ? status : "")
                  : NULL;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label ? label : "", -1);
}
