/* pd-money.c: integer money and percentages in the locale's number format; email and LinkedIn checks. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <string.h>

#include "pd-money.h"

static char *currency = NULL;

/* The locale's decimal point and grouping separator. C locales have no
 * grouping separator; we then accept the one that is not the decimal point. */
static void
number_marks (const char **decimal_point,
              const char **thousands_sep)
{
  struct lconv *lc = localeconv ();
  const char *dp = (lc->decimal_point && *lc->decimal_point) ? lc->decimal_point : ".";
  const char *ts = lc->thousands_sep ? lc->thousands_sep : "";

  if (*ts == '\0' || strcmp (ts, dp) == 0)
    ts = strcmp (dp, ",") == 0 ? "." : ",";
  *decimal_point = dp;
  *thousands_sep = ts;
}

static char *
strip_copy (const char *text)
{
  char *copy = g_strdup (text ? text : "");

  /* Non-breaking and narrow spaces count as spaces around numbers too. */
  return g_strstrip (copy);
}

/* Whole digits with optional grouping: "1,234,567" or "1234567". */
static gboolean
parse_integer_part (const char *text,
                    gsize       len,
                    const char *group,
                    gint64     *value)
{
  gsize glen = strlen (group);
  gint64 v = 0;
  int digits = 0, in_group = 0, groups = 0;
  gboolean grouped = FALSE;

  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len;)
    {
      if (glen > 0 && i + glen <= len && memcmp (text + i, group, glen) == 0)
        {
          if (in_group == 0 || (groups > 0 && in_group != 3) || (groups == 0 && in_group > 3))
            return FALSE;
          grouped = TRUE;
          groups++;
          in_group = 0;
          i += glen;
          continue;
        }
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      if (++digits > 15)
        return FALSE;
      v = v * 10 + (text[i] - '0');
      in_group++;
      i++;
    }
  if (grouped && in_group != 3)
    return FALSE;
  *value = v;
  return TRUE;
}

static gboolean
_pd_number_parse (const char  *text,
                  const char  *decimal_point,
                  const char  *thousands_sep,
                  gint64      *hundredths,
                  gboolean    *negative)
{
  g_autofree char *s = strip_copy (text);
  const char *p = s;
  const char *dec;
  gint64 whole = 0, frac = 0;
  gsize frac_len;

  *negative = FALSE;
  if (*p == '-' || *p == '+')
    {
      *negative = (*p == '-');
      p++;
    }
  if (*p == '\0')
    return FALSE;
  dec = g_strrstr (p, decimal_point);
  if (dec == NULL)
    return parse_integer_part (p, strlen (p), thousands_sep, &whole)
           && (*hundredths = whole * 100, TRUE);
  if (dec != p && !parse_integer_part (p, dec - p, thousands_sep, &whole))
    return FALSE;
  dec += strlen (decimal_point);
  frac_len = strlen (dec);
  if (frac_len > 2 || (dec - strlen (decimal_point) == p && frac_len == 0))
    return FALSE;
  for (gsize i = 0; i < frac_len; i++)
    {
      if (!g_ascii_isdigit (dec[i]))
        return FALSE;
      frac = frac * 10 + (dec[i] - '0');
    }
  if (frac_len == 1)
    frac *= 10;
  *hundredths = whole * 100 + frac;
  return TRUE;
}

gboolean
pd_money_parse_with (const char  *text,
                     const char  *decimal_point,
                     const char  *thousands_sep,
                     gint64      *minor_units,
                     char       **message)
{
  gboolean negative;
  gint64 v;

  if (!_pd_number_parse (text, decimal_point, thousands_sep, &v, &negative) || negative)
    {
      if (message)
        *message = g_strdup (_("Enter an amount of 0 or more with at most two decimals"));
      return FALSE;
    }
  *minor_units = v;
  return TRUE;
}

gboolean
pd_money_parse (const char  *text,
                gint64      *minor_units,
                char       **message)
{
  const char *dp, *ts;

  number_marks (&dp, &ts);
  return pd_money_parse_with (text, dp, ts, minor_units, message);
}

static gboolean
percent_try (const char *text,
             const char *decimal_point,
             gint64     *hundredths)
{
  gboolean negative;
  gint64 v;

  /* No grouping for percentages: at most 100. */
  if (!_pd_number_parse (text, decimal_point, "", &v, &negative))
    return FALSE;
  if (negative)
    return FALSE;
  if (v > 10000)
    return FALSE;
  *hundredths = v;
  return TRUE;
}

gboolean
pd_percent_parse (const char  *text,
                  gint64      *hundredths,
                  char       **message)
{
  g_autofree char *s = strip_copy (text);
  const char *dp, *ts;
  gsize len = strlen (s);

  if (len > 0 && s[len - 1] == '%')
    s[len - 1] = '\0';
  number_marks (&dp, &ts);
  /* Percentages never need grouping, so "12.5" and "12,5" both mean 12.5 %. */
  if (percent_try (s, dp, hundredths)
      || percent_try (s, strcmp (dp, ",") == 0 ? "." : ",", hundredths))
    return TRUE;
  if (message)
    *message = g_strdup (_("Enter a percentage from 0 to 100 with at most two decimals"));
  return FALSE;
}

static char *
format_number (gint64      hundredths,
               gboolean    group,
               gboolean    drop_zeros)
{
  const char *dp, *ts;
  GString *out = g_string_new (NULL);
  gboolean negative = hundredths < 0;
  guint64 v = negative ? (guint64) (-(hundredths + 1)) + 1 : (guint64) hundredths;
  g_autofree char *whole = g_strdup_printf ("%" G_GUINT64_FORMAT, v / 100);
  guint frac = v % 100;
  gsize n = strlen (whole);

  number_marks (&dp, &ts);
  if (negative)
    g_string_append_c (out, '-');
  for (gsize i = 0; i < n; i++)
    {
      if (group && i > 0 && (n - i) % 3 == 0)
        g_string_append (out, ts);
      g_string_append_c (out, whole[i]);
    }
  if (drop_zeros && frac == 0)
    return g_string_free (out, FALSE);
  g_string_append (out, dp);
  if (drop_zeros && frac % 10 == 0)
    g_string_append_printf (out, "%u", frac / 10);
  else
    g_string_append_printf (out, "%02u", frac);
  return g_string_free (out, FALSE);
}

char *
pd_money_format_plain (gint64 minor_units)
{
  return format_number (minor_units, TRUE, FALSE);
}

char *
pd_number_format (gint64 value)
{
  char *text = format_number (value * 100, TRUE, TRUE);

  return text;
}

char *
pd_money_format (gint64      minor_units,
                 const char *currency_code)
{
  g_autofree char *plain = pd_money_format_plain (minor_units);

  if (currency_code == NULL || *currency_code == '\0')
    return g_steal_pointer (&plain);
  /* TRANSLATORS: an amount and its ISO 4217 currency code, "1,234.50 EUR" */
  return g_strdup_printf (C_("money", "%s %s"), plain, currency_code);
}

char *
pd_money_format_edit (gint64 minor_units)
{
  return format_number (minor_units, FALSE, FALSE);
}

char *
pd_percent_format (gint64 hundredths)
{
  g_autofree char *number = format_number (hundredths, FALSE, TRUE);

  /* TRANSLATORS: a percentage, "12.5 %" */
  return g_strdup_printf (_("%s %%"), number);
}

char *
pd_percent_format_edit (gint64 hundredths)
{
  return format_number (hundredths, FALSE, TRUE);
}

void
pd_money_set_currency (const char *code)
{
  g_free (currency);
  currency = (code && *code) ? g_strdup (code) : NULL;
}

const char *
pd_money_get_currency (void)
{
  return currency ? currency : "EUR";
}

gboolean
pd_email_is_valid (const char *text)
{
  const char *at, *dot;

  if (text == NULL || *text == '\0' || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p; p++)
    if (g_ascii_isspace (*p) || *p == ',' || *p == ';' || *p == '<' || *p == '>')
      return FALSE;
  at = strchr (text, '@');
  if (at == NULL || at == text || strchr (at + 1, '@') != NULL)
    return FALSE;
  dot = strrchr (at + 1, '.');
  /* A domain with a dot, no empty labels, and a top-level part of two or more. */
  if (dot == NULL || dot == at + 1 || strlen (dot + 1) < 2)
    return FALSE;
  if (at[1] == '.' || strstr (at + 1, "..") != NULL)
    return FALSE;
  return TRUE;
}

gboolean
pd_linkedin_url_is_valid (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (text == NULL || strchr (text, ' ') != NULL)
    return FALSE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    return FALSE;
  if (g_uri_get_userinfo (uri) != NULL)
    return FALSE;
  host = g_uri_get_host (uri);
  if (host == NULL)
    return FALSE;
  return g_ascii_strcasecmp (host, "linkedin.com") == 0
         || (strlen (host) > strlen (".linkedin.com")
             && g_ascii_strcasecmp (host + strlen (host) - strlen (".linkedin.com"),
                                    ".linkedin.com") == 0);
}
