/* pd-traffic-grid.c: the checkbox matrix, drawn cell by cell for the visible part only. */
#include "config.h"

#include <glib/gi18n.h>

#include "pd-traffic-grid.h"

#define CELL 28          /* a cell is CELL × CELL pixels */
#define BOX 16           /* the check box inside */
#define ROW_HEADER_W 280 /* examination names (less when the grid is narrow) */
#define COL_HEADER_H 150 /* partner names, rotated */
#define PAD 8

struct _PdTrafficGrid
{
  GtkWidget parent_instance;

  PdTrafficMatrix *matrix;
  GtkAdjustment   *hadj;
  GtkAdjustment   *vadj;
  guint            hscroll_policy : 1;
  guint            vscroll_policy : 1;
  guint            has_focus_cell : 1;
  guint            focus_row;
  guint            focus_column;
  int              hover_row; /* -1: none */
  int              hover_column;
  char            *a11y_label;
  guint            n_snapshots;

  /* Drawing caches: the four check box looks as textures, the header texts as nodes
   * (built when first shown, dropped when the matrix, the colours or the width change). */
  GdkTexture *boxes[4];     /* [blocked * 2 + checked] */
  GPtrArray  *row_texts;    /* GskRenderNode or NULL, per row */
  GPtrArray  *column_texts; /* per column */
  guint       cache_key;
};

enum
{
  PROP_0,
  PROP_HADJUSTMENT,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY
};
enum
{
  TOGGLE_CELL,
  POPUP_MENU,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE_WITH_CODE (PdTrafficGrid, pd_traffic_grid, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, NULL))

/* Colours: GTK 4.8 offers no CSS colour lookup without GtkStyleContext, so the grid
 * follows libadwaita's palette through the style manager (dark, high contrast). */
typedef struct
{
  GdkRGBA fg, dim, faint, line, accent, on_accent, hover, focus, header_bg;
} Palette;

static void
get_palette (Palette *p)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  gboolean         dark = adw_style_manager_get_dark (manager);
  gboolean         hc = adw_style_manager_get_high_contrast (manager);
  float            v = dark ? 1.f : 0.f;

  p->fg = (GdkRGBA){ v, v, v, dark ? 1.f : 0.8f };
  p->dim = (GdkRGBA){ v, v, v, hc ? 0.8f : 0.55f };
  p->faint = (GdkRGBA){ v, v, v, hc ? 0.5f : 0.25f };
  p->line = (GdkRGBA){ v, v, v, hc ? 0.3f : 0.08f };
  p->hover = (GdkRGBA){ v, v, v, 0.05f };
  p->accent = dark ? (GdkRGBA){ 0.47f, 0.68f, 0.93f, 1.f } : (GdkRGBA){ 0.21f, 0.52f, 0.89f, 1.f };
  p->on_accent = dark ? (GdkRGBA){ 0.f, 0.f, 0.f, 0.87f } : (GdkRGBA){ 1.f, 1.f, 1.f, 1.f };
  p->focus = p->accent;
  p->focus.alpha = 0.8f;
  p->header_bg
      = dark ? (GdkRGBA){ 0.19f, 0.19f, 0.19f, 1.f } : (GdkRGBA){ 0.98f, 0.98f, 0.98f, 1.f };
}

/* Geometry */

static guint
n_rows (PdTrafficGrid *self)
{
  return self->matrix ? pd_traffic_matrix_get_n_rows (self->matrix) : 0;
}

static guint
n_columns (PdTrafficGrid *self)
{
  return self->matrix ? pd_traffic_matrix_get_n_columns (self->matrix) : 0;
}

static int
row_header_width (PdTrafficGrid *self)
{
  return MAX (120, MIN (ROW_HEADER_W, gtk_widget_get_width (GTK_WIDGET (self)) / 2));
}

static double
scroll_x (PdTrafficGrid *self)
{
  return self->hadj ? gtk_adjustment_get_value (self->hadj) : 0;
}

static double
scroll_y (PdTrafficGrid *self)
{
  return self->vadj ? gtk_adjustment_get_value (self->vadj) : 0;
}

static double
cell_x (PdTrafficGrid *self, guint column)
{
  return row_header_width (self) + (double)column * CELL - scroll_x (self);
}

static double
cell_y (PdTrafficGrid *self, guint row)
{
  return COL_HEADER_H + (double)row * CELL - scroll_y (self);
}

/* The visible rows [*FIRST, *END) and columns. */
static void
visible_range (PdTrafficGrid *self, guint *r0, guint *r1, guint *c0, guint *c1)
{
  int    width = gtk_widget_get_width (GTK_WIDGET (self)) - row_header_width (self);
  int    height = gtk_widget_get_height (GTK_WIDGET (self)) - COL_HEADER_H;
  double x = scroll_x (self), y = scroll_y (self);

  *c0 = MIN ((guint)(x / CELL), n_columns (self));
  *c1 = MIN ((guint)((x + MAX (width, 0)) / CELL) + 1, n_columns (self));
  *r0 = MIN ((guint)(y / CELL), n_rows (self));
  *r1 = MIN ((guint)((y + MAX (height, 0)) / CELL) + 1, n_rows (self));
}

/* What is at (X, Y): a cell (both >= 0), a row header (column -1), a column header
 * (row -1); FALSE for the corner and outside. */
static gboolean
hit_test (PdTrafficGrid *self, double x, double y, int *row, int *column)
{
  int rw = row_header_width (self);

  *row = -1;
  *column = -1;
  if (x >= rw)
    {
      double c = (x - rw + scroll_x (self)) / CELL;

      if (c < 0 || c >= n_columns (self))
        return FALSE;
      *column = (int)c;
    }
  if (y >= COL_HEADER_H)
    {
      double r = (y - COL_HEADER_H + scroll_y (self)) / CELL;

      if (r < 0 || r >= n_rows (self))
        return FALSE;
      *row = (int)r;
    }
  return *row >= 0 || *column >= 0;
}

/* Adjustments */

static void
configure_adjustment (GtkAdjustment *adj, double upper, double page, double header)
{
  double value;

  if (adj == NULL)
    return;
  value = CLAMP (gtk_adjustment_get_value (adj), 0, MAX (0, upper - page));
  gtk_adjustment_configure (adj, value, 0, MAX (upper, page), CELL,
                            MAX (CELL, page - header - CELL), page);
}

static void
configure_adjustments (PdTrafficGrid *self)
{
  int rw = row_header_width (self);

  configure_adjustment (self->hadj, rw + (double)n_columns (self) * CELL,
                        gtk_widget_get_width (GTK_WIDGET (self)), rw);
  configure_adjustment (self->vadj, COL_HEADER_H + (double)n_rows (self) * CELL,
                        gtk_widget_get_height (GTK_WIDGET (self)), COL_HEADER_H);
}

static void
on_adjustment_changed (PdTrafficGrid *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (PdTrafficGrid *self, GtkAdjustment **slot, GtkAdjustment *adj)
{
  if (*slot == adj && adj != NULL)
    return;
  if (*slot != NULL)
    {
      g_signal_handlers_disconnect_by_data (*slot, self);
      g_object_unref (*slot);
    }
  if (adj == NULL)
    adj = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  *slot = g_object_ref_sink (adj);
  g_signal_connect_swapped (adj, "value-changed", G_CALLBACK (on_adjustment_changed), self);
  configure_adjustments (self);
}

/* Scrolls so that the cell is fully visible below and beside the headers. */
static void
scroll_to_cell (PdTrafficGrid *self, guint row, guint column)
{
  int    rw = row_header_width (self);
  double x = scroll_x (self), y = scroll_y (self);
  double left = (double)column * CELL, top = (double)row * CELL;
  double view_w = gtk_widget_get_width (GTK_WIDGET (self)) - rw;
  double view_h = gtk_widget_get_height (GTK_WIDGET (self)) - COL_HEADER_H;

  if (left < x)
    x = left;
  else if (left + CELL > x + view_w)
    x = left + CELL - view_w;
  if (top < y)
    y = top;
  else if (top + CELL > y + view_h)
    y = top + CELL - view_h;
  if (self->hadj)
    gtk_adjustment_set_value (self->hadj, MAX (0, x));
  if (self->vadj)
    gtk_adjustment_set_value (self->vadj, MAX (0, y));
}

/* Accessibility and tooltips */

char *
pd_traffic_grid_dup_cell_tooltip (PdTrafficGrid *self, guint row, guint column)
{
  g_autofree char *label = NULL;
  g_autofree char *reason = NULL;

  g_return_val_if_fail (PD_IS_TRAFFIC_GRID (self), NULL);
  if (row >= n_rows (self) || column >= n_columns (self))
    return NULL;
  label = pd_traffic_matrix_dup_cell_label (self->matrix, row, column);
  reason = pd_traffic_matrix_describe_block (self->matrix, row, column);
  if (reason != NULL)
    return g_strdup_printf ("%s\n%s", label, reason);
  return g_strdup_printf ("%s\n%s", label,
                          pd_traffic_matrix_get_enabled (self->matrix, row, column)
                              ? _ ("Enabled")
                              : _ ("Not enabled"));
}

static void
update_accessible (PdTrafficGrid *self)
{
  g_autofree char *reason = NULL;
  gboolean         enabled = FALSE;

  g_clear_pointer (&self->a11y_label, g_free);
  if (!self->has_focus_cell)
    {
      self->a11y_label = g_strdup (_ ("Traffic channels"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      self->a11y_label, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "",
                                      -1);
      gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_CHECKED,
                                   GTK_ACCESSIBLE_TRISTATE_FALSE, GTK_ACCESSIBLE_STATE_DISABLED,
                                   FALSE, -1);
      return;
    }
  self->a11y_label
      = pd_traffic_matrix_dup_cell_label (self->matrix, self->focus_row, self->focus_column);
  reason = pd_traffic_matrix_describe_block (self->matrix, self->focus_row, self->focus_column);
  enabled = pd_traffic_matrix_get_enabled (self->matrix, self->focus_row, self->focus_column);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->a11y_label, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  reason ? reason : "", -1);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_CHECKED,
                               enabled ? GTK_ACCESSIBLE_TRISTATE_TRUE
                                       : GTK_ACCESSIBLE_TRISTATE_FALSE,
                               GTK_ACCESSIBLE_STATE_DISABLED, reason != NULL, -1);
}

static char *
header_tooltip (PdTrafficGrid *self, int row, int column)
{
  if (row >= 0)
    /* TRANSLATORS: an examination's row header: "Resting ECG (ECG): 12 of 200 partners" */
    return g_strdup_printf (_ ("%s (%s): %u of %u partners"),
                            pd_traffic_matrix_get_examination_name (self->matrix, row),
                            pd_traffic_matrix_get_examination_code (self->matrix, row),
                            pd_traffic_matrix_count_row (self->matrix, row), n_columns (self));
  /* TRANSLATORS: a partner's column header: "Acme GmbH: 12 of 500 examinations" */
  return g_strdup_printf (_ ("%s: %u of %u examinations"),
                          pd_traffic_matrix_get_partner_name (self->matrix, column),
                          pd_traffic_matrix_count_column (self->matrix, column), n_rows (self));
}

static gboolean
on_query_tooltip (PdTrafficGrid *self, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  g_autofree char *text = NULL;
  int              row, column;
  GdkRectangle     area;

  if (keyboard && self->has_focus_cell)
    {
      row = (int)self->focus_row;
      column = (int)self->focus_column;
    }
  else if (keyboard || !hit_test (self, x, y, &row, &column))
    return FALSE;
  if (row >= 0 && column >= 0)
    {
      text = pd_traffic_grid_dup_cell_tooltip (self, row, column);
      area = (GdkRectangle){ (int)cell_x (self, column), (int)cell_y (self, row), CELL, CELL };
    }
  else
    {
      text = header_tooltip (self, row, column);
      area = row >= 0 ? (GdkRectangle){ 0, (int)cell_y (self, row), row_header_width (self), CELL }
                      : (GdkRectangle){ (int)cell_x (self, column), 0, CELL, COL_HEADER_H };
    }
  gtk_tooltip_set_text (tooltip, text);
  gtk_tooltip_set_tip_area (tooltip, &area);
  return TRUE;
}

/* Drawing */

static void
append_rect (GtkSnapshot *snapshot, const GdkRGBA *color, double x, double y, double w, double h)
{
  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (x, y, w, h));
}

/* The check box looks, drawn once with cairo at the widget's scale. */
static void
cairo_rounded_box (cairo_t *cr, double x, double y, double size, double radius)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + size - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + size - radius, y + size - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + size - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static GdkTexture *
make_box (const Palette *p, int scale, gboolean checked, gboolean blocked)
{
  const GdkRGBA   *line = blocked ? &p->faint : &p->dim;
  const GdkRGBA   *fill = blocked ? &p->faint : &p->accent;
  const GdkRGBA   *tick = blocked ? &p->fg : &p->on_accent;
  cairo_surface_t *surface
      = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, BOX * scale, BOX * scale);
  cairo_t *cr = cairo_create (surface);
  g_autoptr (GBytes) bytes = NULL;
  GdkTexture *texture;

  cairo_scale (cr, scale, scale);
  if (checked)
    {
      cairo_rounded_box (cr, 0, 0, BOX, 3);
      gdk_cairo_set_source_rgba (cr, fill);
      cairo_fill (cr);
      cairo_move_to (cr, 4, 8.5);
      cairo_line_to (cr, 7, 11.5);
      cairo_line_to (cr, 12.5, 5);
      cairo_set_line_width (cr, 2);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      gdk_cairo_set_source_rgba (cr, tick);
      cairo_stroke (cr);
    }
  else
    {
      cairo_rounded_box (cr, 1, 1, BOX - 2, 2.5);
      cairo_set_line_width (cr, 2);
      gdk_cairo_set_source_rgba (cr, line);
      cairo_stroke (cr);
      if (blocked) /* a dash: cannot be enabled */
        {
          cairo_rectangle (cr, 4, BOX / 2.0 - 1, BOX - 8, 2);
          cairo_fill (cr);
        }
    }
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  bytes = g_bytes_new (cairo_image_surface_get_data (surface),
                       (gsize)cairo_image_surface_get_stride (surface) * BOX * scale);
  texture = gdk_memory_texture_new (BOX * scale, BOX * scale, GDK_MEMORY_DEFAULT, bytes,
                                    cairo_image_surface_get_stride (surface));
  cairo_surface_destroy (surface);
  return texture;
}

static void
clear_caches (PdTrafficGrid *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->boxes); i++)
    g_clear_object (&self->boxes[i]);
  g_ptr_array_set_size (self->row_texts, 0);
  g_ptr_array_set_size (self->column_texts, 0);
}

/* Drops the caches when what they depend on changed. */
static void
check_caches (PdTrafficGrid *self, const Palette *p)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  guint key = (guint)row_header_width (self) | (guint)adw_style_manager_get_dark (manager) << 16
              | (guint)adw_style_manager_get_high_contrast (manager) << 17
              | (guint)gtk_widget_get_scale_factor (GTK_WIDGET (self)) << 18;

  if (key != self->cache_key)
    clear_caches (self);
  self->cache_key = key;
  for (guint i = 0; i < G_N_ELEMENTS (self->boxes); i++)
    if (self->boxes[i] == NULL)
      self->boxes[i] = make_box (p, gtk_widget_get_scale_factor (GTK_WIDGET (self)), i & 1, i >> 1);
  if (self->row_texts->len != n_rows (self))
    g_ptr_array_set_size (self->row_texts, n_rows (self));
  if (self->column_texts->len != n_columns (self))
    g_ptr_array_set_size (self->column_texts, n_columns (self));
}

static void
node_unref0 (gpointer node)
{
  if (node != NULL)
    gsk_render_node_unref (node);
}

/* LAYOUT with TEXT as a render node (at 0, 0). */
static GskRenderNode *
text_node (PangoLayout *layout, const char *text, const GdkRGBA *color)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  pango_layout_set_text (layout, text ? text : "", -1);
  gtk_snapshot_append_layout (snapshot, layout, color);
  return gtk_snapshot_free_to_node (snapshot);
}

static void
append_node_at (GtkSnapshot *snapshot, GskRenderNode *node, double x, double y)
{
  if (node == NULL)
    return;
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_node (snapshot, node);
  gtk_snapshot_restore (snapshot);
}

static void
append_box (PdTrafficGrid *self, GtkSnapshot *snapshot, double x, double y, gboolean checked,
            gboolean blocked)
{
  gtk_snapshot_append_texture (snapshot, self->boxes[blocked * 2 + checked],
                               &GRAPHENE_RECT_INIT (x, y, BOX, BOX));
}

static void
snapshot_cells (PdTrafficGrid *self, GtkSnapshot *snapshot, const Palette *p, guint r0, guint r1,
                guint c0, guint c1)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int rw = row_header_width (self);

  if (self->hover_row >= 0)
    append_rect (snapshot, &p->hover, 0, cell_y (self, self->hover_row), width, CELL);
  if (self->hover_column >= 0)
    append_rect (snapshot, &p->hover, cell_x (self, self->hover_column), 0, CELL,
                 gtk_widget_get_height (GTK_WIDGET (self)));
  for (guint r = r0; r < r1; r++)
    {
      double y = cell_y (self, r);

      append_rect (snapshot, &p->line, rw, y + CELL - 1, width - rw, 1);
      for (guint c = c0; c < c1; c++)
        append_box (self, snapshot, cell_x (self, c) + (CELL - BOX) / 2.0, y + (CELL - BOX) / 2.0,
                    pd_traffic_matrix_get_enabled (self->matrix, r, c),
                    pd_traffic_matrix_get_block (self->matrix, r, c) != PD_CELL_OK);
    }
}

static void
snapshot_focus (PdTrafficGrid *self, GtkSnapshot *snapshot, const Palette *p)
{
  GskRoundedRect ring;
  GdkRGBA        c = p->focus;

  if (!self->has_focus_cell || !gtk_widget_has_focus (GTK_WIDGET (self)))
    return;
  gsk_rounded_rect_init_from_rect (&ring,
                                   &GRAPHENE_RECT_INIT (cell_x (self, self->focus_column) + 2,
                                                        cell_y (self, self->focus_row) + 2,
                                                        CELL - 4, CELL - 4),
                                   5);
  gtk_snapshot_append_border (snapshot, &ring, (float[]){ 2, 2, 2, 2 }, (GdkRGBA[]){ c, c, c, c });
}

/* A layout for header texts, ellipsized at WIDTH; *TEXT_H its line height. */
static PangoLayout *
header_layout (PdTrafficGrid *self, int width, int *text_h)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), "Xg");

  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_get_pixel_size (layout, NULL, text_h);
  return layout;
}

static GskRenderNode *
row_text (PdTrafficGrid *self, PangoLayout **layout, guint row, const Palette *p)
{
  GskRenderNode *node = g_ptr_array_index (self->row_texts, row);
  gboolean       usable;
  int            text_h;

  if (node != NULL)
    return node;
  if (*layout == NULL)
    *layout = header_layout (self, row_header_width (self) - 2 * PAD, &text_h);
  usable = pd_traffic_matrix_get_price (self->matrix, row, NULL)
           && !pd_traffic_matrix_get_archived (self->matrix, row);
  {
    g_autofree char *text
        = g_strdup_printf ("%s · %s", pd_traffic_matrix_get_examination_name (self->matrix, row),
                           pd_traffic_matrix_get_examination_code (self->matrix, row));

    node = text_node (*layout, text, usable ? &p->fg : &p->dim);
  }
  g_ptr_array_index (self->row_texts, row) = node;
  return node;
}

static GskRenderNode *
column_text (PdTrafficGrid *self, PangoLayout **layout, guint column, const Palette *p)
{
  GskRenderNode *node = g_ptr_array_index (self->column_texts, column);
  gboolean       active;
  int            text_h;

  if (node != NULL)
    return node;
  if (*layout == NULL)
    *layout = header_layout (self, COL_HEADER_H - 2 * PAD, &text_h);
  active = g_strcmp0 (pd_traffic_matrix_get_partner_status (self->matrix, column), "active") == 0;
  node = text_node (*layout, pd_traffic_matrix_get_partner_name (self->matrix, column),
                    active ? &p->fg : &p->dim);
  g_ptr_array_index (self->column_texts, column) = node;
  return node;
}

static int
line_height (PdTrafficGrid *self)
{
  g_autoptr (PangoLayout) layout = NULL;
  int text_h;

  layout = header_layout (self, 100, &text_h);
  return text_h;
}

static void
snapshot_row_headers (PdTrafficGrid *self, GtkSnapshot *snapshot, const Palette *p, guint r0,
                      guint r1, int text_h)
{
  int          rw = row_header_width (self);
  int          height = gtk_widget_get_height (GTK_WIDGET (self));
  PangoLayout *layout = NULL;

  append_rect (snapshot, &p->header_bg, 0, COL_HEADER_H, rw, height);
  append_rect (snapshot, &p->line, rw - 1, COL_HEADER_H, 1, height);
  for (guint r = r0; r < r1; r++)
    {
      double y = cell_y (self, r);

      append_rect (snapshot, &p->line, 0, y + CELL - 1, rw, 1);
      append_node_at (snapshot, row_text (self, &layout, r, p), PAD, y + (CELL - text_h) / 2.0);
    }
  g_clear_object (&layout);
}

static void
snapshot_column_headers (PdTrafficGrid *self, GtkSnapshot *snapshot, const Palette *p, guint c0,
                         guint c1, int text_h)
{
  int          width = gtk_widget_get_width (GTK_WIDGET (self));
  int          rw = row_header_width (self);
  PangoLayout *layout = NULL;

  append_rect (snapshot, &p->header_bg, 0, 0, width, COL_HEADER_H);
  append_rect (snapshot, &p->line, 0, COL_HEADER_H - 1, width, 1);
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (rw, 0, width - rw, COL_HEADER_H));
  for (guint c = c0; c < c1; c++)
    {
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (
          snapshot,
          &GRAPHENE_POINT_INIT (cell_x (self, c) + (CELL - text_h) / 2.0, COL_HEADER_H - PAD));
      gtk_snapshot_rotate (snapshot, -90);
      gtk_snapshot_append_node (snapshot, column_text (self, &layout, c, p));
      gtk_snapshot_restore (snapshot);
    }
  gtk_snapshot_pop (snapshot);
  g_clear_object (&layout);
}

static void
snapshot_corner (PdTrafficGrid *self, GtkSnapshot *snapshot, const Palette *p)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  int rw = row_header_width (self);
  int h;

  append_rect (snapshot, &p->header_bg, 0, 0, rw, COL_HEADER_H);
  append_rect (snapshot, &p->line, rw - 1, 0, 1, COL_HEADER_H);
  pango_layout_set_width (layout, (rw - 2 * PAD) * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_text (layout, _ ("Examinations ↓ · Partners →"), -1);
  pango_layout_get_pixel_size (layout, NULL, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (PAD, COL_HEADER_H - PAD - h));
  gtk_snapshot_append_layout (snapshot, layout, &p->dim);
  gtk_snapshot_restore (snapshot);
}

static void
pd_traffic_grid_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PdTrafficGrid *self = PD_TRAFFIC_GRID (widget);
  int            width = gtk_widget_get_width (widget);
  int            height = gtk_widget_get_height (widget);
  int            rw = row_header_width (self);
  guint          r0, r1, c0, c1;
  int            text_h;
  Palette        p;

  self->n_snapshots++;
  if (self->matrix == NULL)
    return;
  get_palette (&p);
  check_caches (self, &p);
  text_h = line_height (self);
  visible_range (self, &r0, &r1, &c0, &c1);
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (rw, COL_HEADER_H, MAX (0, width - rw),
                                                         MAX (0, height - COL_HEADER_H)));
  snapshot_cells (self, snapshot, &p, r0, r1, c0, c1);
  snapshot_focus (self, snapshot, &p);
  gtk_snapshot_pop (snapshot);
  gtk_snapshot_push_clip (
      snapshot, &GRAPHENE_RECT_INIT (0, COL_HEADER_H, rw, MAX (0, height - COL_HEADER_H)));
  snapshot_row_headers (self, snapshot, &p, r0, r1, text_h);
  gtk_snapshot_pop (snapshot);
  snapshot_column_headers (self, snapshot, &p, c0, c1, text_h);
  snapshot_corner (self, snapshot, &p);
}

/* Focus and keys */

static void
move_focus (PdTrafficGrid *self, int row, int column)
{
  if (n_rows (self) == 0 || n_columns (self) == 0)
    return;
  pd_traffic_grid_set_focus_cell (self, CLAMP (row, 0, (int)n_rows (self) - 1),
                                  CLAMP (column, 0, (int)n_columns (self) - 1));
}

static int
page_rows (PdTrafficGrid *self)
{
  return MAX (1, (gtk_widget_get_height (GTK_WIDGET (self)) - COL_HEADER_H) / CELL - 1);
}

static void
popup_focus_cell (PdTrafficGrid *self)
{
  g_signal_emit (self, signals[POPUP_MENU], 0, (int)self->focus_row, (int)self->focus_column,
                 cell_x (self, self->focus_column) + CELL / 2.0,
                 cell_y (self, self->focus_row) + CELL / 2.0);
}

gboolean
pd_traffic_grid_handle_key (PdTrafficGrid *self, guint keyval, GdkModifierType state)
{
  int      r = (int)self->focus_row, c = (int)self->focus_column;
  gboolean ctrl = (state & GDK_CONTROL_MASK) != 0;

  g_return_val_if_fail (PD_IS_TRAFFIC_GRID (self), FALSE);
  if (!self->has_focus_cell)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move_focus (self, r - 1, c);
      return TRUE;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move_focus (self, r + 1, c);
      return TRUE;
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      move_focus (self, r,
                  gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL ? c + 1 : c - 1);
      return TRUE;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      move_focus (self, r,
                  gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL ? c - 1 : c + 1);
      return TRUE;
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      move_focus (self, ctrl ? 0 : r, 0);
      return TRUE;
    case GDK_KEY_End:
    case GDK_KEY_KP_End:
      move_focus (self, ctrl ? (int)n_rows (self) - 1 : r, (int)n_columns (self) - 1);
      return TRUE;
    case GDK_KEY_Page_Up:
    case GDK_KEY_KP_Page_Up:
      move_focus (self, r - page_rows (self), c);
      return TRUE;
    case GDK_KEY_Page_Down:
    case GDK_KEY_KP_Page_Down:
      move_focus (self, r + page_rows (self), c);
      return TRUE;
    case GDK_KEY_space:
    case GDK_KEY_KP_Space:
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
      if (ctrl)
        return FALSE;
      g_signal_emit (self, signals[TOGGLE_CELL], 0, self->focus_row, self->focus_column);
      return TRUE;
    case GDK_KEY_Menu:
      popup_focus_cell (self);
      return TRUE;
    case GDK_KEY_F10:
      if ((state & GDK_SHIFT_MASK) == 0)
        return FALSE;
      popup_focus_cell (self);
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                GdkModifierType state, PdTrafficGrid *self)
{
  return pd_traffic_grid_handle_key (self, keyval, state);
}

/* Mouse */

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, PdTrafficGrid *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  int   row, column;

  if (!hit_test (self, x, y, &row, &column))
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (row >= 0 && column >= 0)
    {
      pd_traffic_grid_set_focus_cell (self, row, column);
      if (button == GDK_BUTTON_SECONDARY)
        g_signal_emit (self, signals[POPUP_MENU], 0, row, column, x, y);
      else if (button == GDK_BUTTON_PRIMARY)
        g_signal_emit (self, signals[TOGGLE_CELL], 0, (guint)row, (guint)column);
      return;
    }
  if (row >= 0)
    move_focus (self, row, self->focus_column);
  else
    move_focus (self, self->focus_row, column);
  g_signal_emit (self, signals[POPUP_MENU], 0, row, column, x, y);
}

static void
set_hover (PdTrafficGrid *self, int row, int column)
{
  if (row == self->hover_row && column == self->hover_column)
    return;
  self->hover_row = row;
  self->hover_column = column;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, PdTrafficGrid *self)
{
  int row = -1, column = -1;

  hit_test (self, x, y, &row, &column);
  set_hover (self, row, column);
}

static void
on_leave (GtkEventControllerMotion *motion, PdTrafficGrid *self)
{
  set_hover (self, -1, -1);
}

static void
on_focus_changed (PdTrafficGrid *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* GtkWidget */

static void
pd_traffic_grid_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                         int *natural, int *minimum_baseline, int *natural_baseline)
{
  PdTrafficGrid *self = PD_TRAFFIC_GRID (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120 + CELL;
      *natural = ROW_HEADER_W + (int)n_columns (self) * CELL;
    }
  else
    {
      *minimum = COL_HEADER_H + CELL;
      *natural = COL_HEADER_H + (int)n_rows (self) * CELL;
    }
  *natural = MAX (*natural, *minimum);
}

static void
pd_traffic_grid_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  configure_adjustments (PD_TRAFFIC_GRID (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER (child))
      gtk_popover_present (GTK_POPOVER (child));
}

static gboolean
pd_traffic_grid_focus (GtkWidget *widget, GtkDirectionType direction)
{
  /* One tab stop: Tab enters the grid and leaves it. */
  if (gtk_widget_has_focus (widget))
    return FALSE;
  return gtk_widget_grab_focus (widget);
}

static void
pd_traffic_grid_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PdTrafficGrid *self = PD_TRAFFIC_GRID (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadj);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadj);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pd_traffic_grid_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  PdTrafficGrid *self = PD_TRAFFIC_GRID (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadj, g_value_get_object (value));
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadj, g_value_get_object (value));
      break;
    case PROP_HSCROLL_POLICY:
      self->hscroll_policy = g_value_get_enum (value);
      break;
    case PROP_VSCROLL_POLICY:
      self->vscroll_policy = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pd_traffic_grid_dispose (GObject *object)
{
  PdTrafficGrid *self = PD_TRAFFIC_GRID (object);
  GtkWidget     *child;

  if (self->hadj)
    g_signal_handlers_disconnect_by_data (self->hadj, self);
  if (self->vadj)
    g_signal_handlers_disconnect_by_data (self->vadj, self);
  g_clear_object (&self->hadj);
  g_clear_object (&self->vadj);
  g_clear_pointer (&self->matrix, pd_traffic_matrix_unref);
  g_clear_pointer (&self->a11y_label, g_free);
  clear_caches (self);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (pd_traffic_grid_parent_class)->dispose (object);
}

static void
pd_traffic_grid_finalize (GObject *object)
{
  PdTrafficGrid *self = PD_TRAFFIC_GRID (object);

  g_ptr_array_unref (self->row_texts);
  g_ptr_array_unref (self->column_texts);
  G_OBJECT_CLASS (pd_traffic_grid_parent_class)->finalize (object);
}

static void
pd_traffic_grid_class_init (PdTrafficGridClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pd_traffic_grid_dispose;
  object_class->finalize = pd_traffic_grid_finalize;
  object_class->get_property = pd_traffic_grid_get_property;
  object_class->set_property = pd_traffic_grid_set_property;
  widget_class->snapshot = pd_traffic_grid_snapshot;
  widget_class->measure = pd_traffic_grid_measure;
  widget_class->size_allocate = pd_traffic_grid_size_allocate;
  widget_class->focus = pd_traffic_grid_focus;

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  signals[TOGGLE_CELL]
      = g_signal_new ("toggle-cell", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  signals[POPUP_MENU]
      = g_signal_new ("popup-menu", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 4, G_TYPE_INT, G_TYPE_INT, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  gtk_widget_class_set_css_name (widget_class, "pdtrafficgrid");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_CHECKBOX);
}

static void
pd_traffic_grid_init (PdTrafficGrid *self)
{
  GtkEventController *key = gtk_event_controller_key_new ();
  GtkGesture         *click = gtk_gesture_click_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();

  self->hover_row = self->hover_column = -1;
  self->row_texts = g_ptr_array_new_with_free_func (node_unref0);
  self->column_texts = g_ptr_array_new_with_free_func (node_unref0);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);

  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (on_focus_changed), self);
  g_signal_connect_swapped (focus, "leave", G_CALLBACK (on_focus_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
  update_accessible (self);
}

GtkWidget *
pd_traffic_grid_new (void)
{
  return g_object_new (PD_TYPE_TRAFFIC_GRID, NULL);
}

void
pd_traffic_grid_set_matrix (PdTrafficGrid *self, PdTrafficMatrix *matrix)
{
  g_autofree char *exam_id = NULL;
  g_autofree char *partner_id = NULL;
  int              row = 0, column = 0;

  g_return_if_fail (PD_IS_TRAFFIC_GRID (self));

  if (self->has_focus_cell)
    {
      exam_id = g_strdup (pd_traffic_matrix_get_examination_id (self->matrix, self->focus_row));
      partner_id = g_strdup (pd_traffic_matrix_get_partner_id (self->matrix, self->focus_column));
    }
  if (matrix)
    pd_traffic_matrix_ref (matrix);
  g_clear_pointer (&self->matrix, pd_traffic_matrix_unref);
  self->matrix = matrix;
  g_ptr_array_set_size (self->row_texts, 0);
  g_ptr_array_set_size (self->column_texts, 0);
  self->hover_row = self->hover_column = -1;
  self->has_focus_cell = n_rows (self) > 0 && n_columns (self) > 0;
  if (self->has_focus_cell && exam_id)
    {
      row = MAX (0, pd_traffic_matrix_find_row (matrix, exam_id));
      column = MAX (0, pd_traffic_matrix_find_column (matrix, partner_id));
    }
  self->focus_row = row;
  self->focus_column = column;
  update_accessible (self);
  configure_adjustments (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

PdTrafficMatrix *
pd_traffic_grid_get_matrix (PdTrafficGrid *self)
{
  g_return_val_if_fail (PD_IS_TRAFFIC_GRID (self), NULL);
  return self->matrix;
}

gboolean
pd_traffic_grid_get_focus_cell (PdTrafficGrid *self, guint *row, guint *column)
{
  g_return_val_if_fail (PD_IS_TRAFFIC_GRID (self), FALSE);
  if (row)
    *row = self->focus_row;
  if (column)
    *column = self->focus_column;
  return self->has_focus_cell;
}

void
pd_traffic_grid_set_focus_cell (PdTrafficGrid *self, guint row, guint column)
{
  g_return_if_fail (PD_IS_TRAFFIC_GRID (self));
  g_return_if_fail (row < n_rows (self) && column < n_columns (self));

  self->has_focus_cell = TRUE;
  if (self->focus_row != row || self->focus_column != column || self->a11y_label == NULL)
    {
      self->focus_row = row;
      self->focus_column = column;
      update_accessible (self);
    }
  scroll_to_cell (self, row, column);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pd_traffic_grid_cell_changed (PdTrafficGrid *self, guint row, guint column)
{
  g_return_if_fail (PD_IS_TRAFFIC_GRID (self));

  if (self->has_focus_cell && row == self->focus_row && column == self->focus_column)
    update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
pd_traffic_grid_get_accessible_label (PdTrafficGrid *self)
{
  g_return_val_if_fail (PD_IS_TRAFFIC_GRID (self), NULL);
  return self->a11y_label;
}

guint
pd_traffic_grid_get_n_snapshots (PdTrafficGrid *self)
{
  g_return_val_if_fail (PD_IS_TRAFFIC_GRID (self), 0);
  return self->n_snapshots;
}
