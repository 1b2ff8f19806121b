/* pd-money.h: money as integer minor units, percentages as hundredths; parsing and formatting. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses "1,234.50" (C / en) or "1.234,50" (de) in the current locale's
 * LC_NUMERIC format into minor units (2 decimals). Rejects negatives,
 * more than two decimals, garbage; *message gets a translated reason. */
gboolean pd_money_parse   (const char  *text,
                           gint64      *minor_units,
                           char       **message);
/* pd_money_parse with explicit marks ("," and "." for German), whatever the locale. */
gboolean pd_money_parse_with (const char  *text,
                              const char  *decimal_point,
                              const char  *thousands_sep,
                              gint64      *minor_units,
                              char       **message);
/* "1,234.50" in the current locale, without currency. */
char    *pd_money_format_plain (gint64 minor_units);
/* A whole number with the locale's grouping: "12,000". */
char    *pd_number_format (gint64 value);
/* "1,234.50 EUR": with the ISO 4217 currency code. */
char    *pd_money_format  (gint64      minor_units,
                           const char *currency);
/* Parses "12.5" or "12,5" (locale decimal point; "%" allowed at the end)
 * into hundredths of a percent. 0–100, at most two decimals. */
gboolean pd_percent_parse (const char  *text,
                           gint64      *hundredths,
                           char       **message);
/* "12.5 %" in the current locale (trailing zeros dropped). */
char    *pd_percent_format (gint64 hundredths);
/* Text for editing: "12.5" in the locale, "1234.50" style without grouping. */
char    *pd_percent_format_edit (gint64 hundredths);
char    *pd_money_format_edit   (gint64 minor_units);

/* The practice currency used by pd_record_format (default "EUR"). */
void        pd_money_set_currency (const char *currency);
const char *pd_money_get_currency (void);

gboolean pd_email_is_valid        (const char *text);
gboolean pd_linkedin_url_is_valid (const char *text);

G_END_DECLS
