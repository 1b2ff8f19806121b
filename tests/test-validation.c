/* test-validation.c: every record rule on both sides of its bounds, in core and through the store. */
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "pd-core.h"

static char *
message_for (PdRecord   *record,
             const char *field)
{
  g_autoptr(GHashTable) errors = pd_record_validate (record);

  return g_strdup (g_hash_table_lookup (errors, field));
}

static PdRecord *
valid_partner (void)
{
  PdRecord *partner = pd_record_new (&pd_partner_type);

  pd_record_set_string (partner, "name", "Acme Logistics GmbH");
  return partner;
}

static void
test_valid_partner (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autoptr(GHashTable) errors = pd_record_validate (partner);

  g_assert_cmpuint (g_hash_table_size (errors), ==, 0);
  /* New records start at the first choice of each enum. */
  g_assert_cmpstr (pd_record_get_string (partner, "kind"), ==, "employer");
  g_assert_cmpstr (pd_record_get_string (partner, "status"), ==, "draft");
  g_assert_cmpint (pd_record_get_version (partner), ==, 0);
  g_assert_true (g_uuid_string_is_valid (pd_record_get_id (partner)));
}

static void
test_name_required (void)
{
  g_autoptr(PdRecord) partner = pd_record_new (&pd_partner_type);
  g_autofree char *unset = message_for (partner, "name");
  g_autofree char *blank = NULL;
  g_autofree char *one = NULL;

  g_assert_cmpstr (unset, ==, "Company name is required");
  pd_record_set_string (partner, "name", "  \t ");
  blank = message_for (partner, "name");
  g_assert_cmpstr (blank, ==, "Company name is required");
  pd_record_set_string (partner, "name", "A");
  one = message_for (partner, "name");
  g_assert_null (one);
}

static void
check_email (const char *email,
             gboolean    valid)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *message = NULL;

  g_assert_true (pd_email_is_valid (email) == valid);
  pd_record_set_string (partner, "billing_email", email);
  message = message_for (partner, "billing_email");
  if (valid)
    g_assert_null (message);
  else
    g_assert_cmpstr (message, ==, "Enter an email address like name@example.com");
}

static void
test_email (void)
{
  check_email ("name@example.com", TRUE);
  check_email ("first.last+billing@sub.example.co.uk", TRUE);
  check_email ("müller@beispiel.de", TRUE);
  check_email ("name", FALSE);
  check_email ("name@", FALSE);
  check_email ("@example.com", FALSE);
  check_email ("name@example", FALSE);
  check_email ("name@example.c", FALSE);
  check_email ("na me@example.com", FALSE);
  check_email ("a@b@example.com", FALSE);
  check_email ("name@.example.com", FALSE);
  check_email ("name@example..com", FALSE);
  check_email ("name@example.com, other@example.com", FALSE);
}

static void
check_linkedin (const char *url,
                gboolean    valid)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *message = NULL;

  g_assert_true (pd_linkedin_url_is_valid (url) == valid);
  pd_record_set_string (partner, "linkedin_url", url);
  message = message_for (partner, "linkedin_url");
  if (valid)
    g_assert_null (message);
  else
    g_assert_cmpstr (message, ==, "Enter an https://www.linkedin.com/… address");
}

static void
test_linkedin (void)
{
  check_linkedin ("https://www.linkedin.com/company/acme-logistics", TRUE);
  check_linkedin ("https://linkedin.com/company/acme", TRUE);
  check_linkedin ("https://de.linkedin.com/company/acme", TRUE);
  check_linkedin ("https://WWW.LinkedIn.com/company/acme", TRUE);
  check_linkedin ("http://www.linkedin.com/company/acme", FALSE);
  check_linkedin ("https://www.example.com/company/acme", FALSE);
  check_linkedin ("https://linkedin.com.evil.com/company/acme", FALSE);
  check_linkedin ("https://evillinkedin.com/company/acme", FALSE);
  check_linkedin ("https://user@linkedin.com/company/acme", FALSE);
  check_linkedin ("www.linkedin.com/company/acme", FALSE);
  check_linkedin ("linkedin", FALSE);
}

static void
test_employee_count (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *negative = NULL;
  g_autofree char *zero = NULL;
  char *message = NULL;

  pd_record_set_int (partner, "employee_count", -1);
  negative = message_for (partner, "employee_count");
  g_assert_cmpstr (negative, ==, "Employee count must be a whole number of 0 or more");
  pd_record_set_int (partner, "employee_count", 0);
  zero = message_for (partner, "employee_count");
  g_assert_null (zero);

  for (const char *const *bad = (const char *const[]) { "12.5", "abc", "-1", "1e3", NULL };
       *bad; bad++)
    {
      g_assert_false (pd_record_set_from_text (partner, "employee_count", *bad, &message));
      g_assert_cmpstr (message, ==, "Enter a whole number of 0 or more");
      g_clear_pointer (&message, g_free);
      /* A refused text leaves the field as it was. */
      g_assert_cmpint (pd_record_get_int (partner, "employee_count"), ==, 0);
    }
  g_assert_true (pd_record_set_from_text (partner, "employee_count", " 140 ", &message));
  g_assert_null (message);
  g_assert_cmpint (pd_record_get_int (partner, "employee_count"), ==, 140);
  g_assert_true (pd_record_set_from_text (partner, "employee_count", "", &message));
  g_assert_false (pd_record_is_set (partner, "employee_count"));
}

static void
check_percent (const char *text,
               gint64      expected)
{
  gint64 value = -42;
  g_autofree char *message = NULL;
  gboolean ok = pd_percent_parse (text, &value, &message);

  if (expected < 0)
    {
      g_assert_false (ok);
      g_assert_cmpstr (message, ==, "Enter a percentage from 0 to 100 with at most two decimals");
    }
  else
    {
      g_assert_true (ok);
      g_assert_cmpint (value, ==, expected);
    }
}

static void
test_percent (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *over = NULL;
  g_autofree char *top = NULL;

  check_percent ("0", 0);
  check_percent ("100", 10000);
  check_percent ("12.5", 1250);
  check_percent ("12,5", 1250);
  check_percent ("12.5 %", 1250);
  check_percent ("99.99", 9999);
  check_percent ("100.01", -1);
  check_percent ("-1", -1);
  check_percent ("12.345", -1);
  check_percent ("abc", -1);
  check_percent ("", -1);

  pd_record_set_string (partner, "commission_mode", "percentage");
  pd_record_set_int (partner, "commission_percent", 10001);
  over = message_for (partner, "commission_percent");
  g_assert_cmpstr (over, ==, "Enter a percentage from 0 to 100 with at most two decimals");
  pd_record_set_int (partner, "commission_percent", 10000);
  top = message_for (partner, "commission_percent");
  g_assert_null (top);
}

static void
check_money (const char *text,
             gint64      expected)
{
  gint64 value = -42;
  g_autofree char *message = NULL;
  gboolean ok = pd_money_parse (text, &value, &message);

  if (expected < 0)
    {
      g_assert_false (ok);
      g_assert_cmpstr (message, ==, "Enter an amount of 0 or more with at most two decimals");
    }
  else
    {
      g_assert_true (ok);
      g_assert_cmpint (value, ==, expected);
    }
}

static void
test_money_c_locale (void)
{
  g_autofree char *plain = NULL, *with_code = NULL, *edit = NULL;
  g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL, *pe = NULL;

  check_money ("1,234.50", 123450);
  check_money ("1234.5", 123450);
  check_money ("0", 0);
  check_money ("0.01", 1);
  check_money ("12,345,678.90", 1234567890);
  check_money ("abc", -1);
  check_money ("-1", -1);
  check_money ("1.234", -1);
  check_money ("1,23", -1);
  check_money ("", -1);

  plain = pd_money_format_plain (123450);
  g_assert_cmpstr (plain, ==, "1,234.50");
  with_code = pd_money_format (123450, "EUR");
  g_assert_cmpstr (with_code, ==, "1,234.50 EUR");
  edit = pd_money_format_edit (123450);
  g_assert_cmpstr (edit, ==, "1234.50");
  p1 = pd_percent_format (1250);
  p2 = pd_percent_format (1200);
  p3 = pd_percent_format (1234);
  pe = pd_percent_format_edit (1250);
  g_assert_cmpstr (p1, ==, "12.5 %");
  g_assert_cmpstr (p2, ==, "12 %");
  g_assert_cmpstr (p3, ==, "12.34 %");
  g_assert_cmpstr (pe, ==, "12.5");
}

static void
check_money_de (const char *text,
                gint64      expected)
{
  gint64 value = -42;
  g_autofree char *message = NULL;
  gboolean ok = pd_money_parse_with (text, ",", ".", &value, &message);

  g_assert_true (ok == (expected >= 0));
  if (ok)
    g_assert_cmpint (value, ==, expected);
}

static void
test_money_german_marks (void)
{
  /* German number marks, whatever locales this machine has. */
  check_money_de ("1.234,50", 123450);
  check_money_de ("1234,5", 123450);
  check_money_de ("1.234", 123400);
  check_money_de ("1,234", -1);
  check_money_de ("1.234.567,89", 123456789);
  check_money_de ("12.34,5", -1);
}

static void
test_money_german_locale (void)
{
  g_autofree char *saved = g_strdup (setlocale (LC_NUMERIC, NULL));
  g_autofree char *plain = NULL;
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *message = NULL;

  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") == NULL
      && setlocale (LC_NUMERIC, "de_DE.utf8") == NULL)
    {
      g_test_skip ("the de_DE.UTF-8 locale is not installed");
      return;
    }
  check_money ("1.234,50", 123450);
  check_percent ("12,5", 1250);
  plain = pd_money_format_plain (123450);
  g_assert_cmpstr (plain, ==, "1.234,50");
  pd_record_set_string (partner, "commission_mode", "fixed");
  g_assert_true (pd_record_set_from_text (partner, "commission_fixed", "1.234,50", &message));
  g_assert_cmpint (pd_record_get_int (partner, "commission_fixed"), ==, 123450);
  setlocale (LC_NUMERIC, saved);
}

static void
test_money_field (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *negative = NULL;
  g_autofree char *zero = NULL;
  g_autofree char *edit = NULL;
  char *message = NULL;

  pd_record_set_string (partner, "commission_mode", "fixed");
  pd_record_set_int (partner, "commission_fixed", -1);
  negative = message_for (partner, "commission_fixed");
  g_assert_cmpstr (negative, ==, "Enter an amount of 0 or more with at most two decimals");
  pd_record_set_int (partner, "commission_fixed", 0);
  zero = message_for (partner, "commission_fixed");
  g_assert_null (zero);

  g_assert_false (pd_record_set_from_text (partner, "commission_fixed", "1.234", &message));
  g_assert_cmpstr (message, ==, "Enter an amount of 0 or more with at most two decimals");
  g_clear_pointer (&message, g_free);
  g_assert_true (pd_record_set_from_text (partner, "commission_fixed", "1,234.50", &message));
  g_assert_cmpint (pd_record_get_int (partner, "commission_fixed"), ==, 123450);
  edit = pd_record_get_edit_text (partner, "commission_fixed");
  g_assert_cmpstr (edit, ==, "1234.50");
}

static void
test_only_if (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autoptr(GHashTable) fixed_errors = NULL;
  g_autoptr(GHashTable) percent_errors = NULL;
  const PdField *percent = pd_record_type_get_field (&pd_partner_type, "commission_percent");

  pd_record_set_string (partner, "commission_mode", "fixed");
  pd_record_set_int (partner, "commission_percent", 20000);
  g_assert_false (pd_record_field_applies (partner, percent));
  fixed_errors = pd_record_validate (partner);
  g_assert_cmpuint (g_hash_table_size (fixed_errors), ==, 0);

  pd_record_set_string (partner, "commission_mode", "percentage");
  g_assert_true (pd_record_field_applies (partner, percent));
  percent_errors = pd_record_validate (partner);
  g_assert_true (g_hash_table_contains (percent_errors, "commission_percent"));
}

static void
test_enum (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *message = NULL;
  g_autofree char *unknown = NULL;
  const PdField *kind = pd_record_type_get_field (&pd_partner_type, "kind");

  g_assert_false (pd_record_set_canonical (partner, "kind", "hospital"));
  g_assert_cmpstr (pd_record_get_string (partner, "kind"), ==, "employer");
  g_assert_false (pd_record_set_from_text (partner, "kind", "hospital", &message));
  g_assert_nonnull (message);
  g_assert_true (pd_record_set_canonical (partner, "kind", "clinic"));
  g_assert_cmpstr (pd_field_choice_label (kind, "clinic"), ==, "Clinic");

  /* Set directly (as a sync payload could), an unknown value is reported by validation. */
  pd_record_set_string (partner, "kind", "hospital");
  unknown = message_for (partner, "kind");
  g_assert_nonnull (unknown);
}

static void
test_text_forms (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  const char *ids[] = { "a", "b", NULL };
  const PdField *count = pd_record_type_get_field (&pd_partner_type, "employee_count");
  g_autofree char *bool_text = NULL, *list_text = NULL, *count_text = NULL, *formatted = NULL;
  g_autofree char *percent_text = NULL, *audit_text = NULL;

  pd_record_set_bool (partner, "statistics_required", TRUE);
  pd_record_set_strv (partner, "institutions", ids);
  pd_record_set_int (partner, "employee_count", 12000);
  pd_record_set_int (partner, "commission_percent", 1250);
  bool_text = pd_record_dup_canonical (partner, "statistics_required");
  list_text = pd_record_dup_canonical (partner, "institutions");
  count_text = pd_record_dup_canonical (partner, "employee_count");
  formatted = pd_record_format (partner, "statistics_required");
  percent_text = pd_record_format (partner, "commission_percent");
  audit_text = pd_field_format_text (count, "12000");
  g_assert_cmpstr (bool_text, ==, "1");
  g_assert_cmpstr (list_text, ==, "[\"a\",\"b\"]");
  g_assert_cmpstr (count_text, ==, "12000");
  g_assert_cmpstr (formatted, ==, "Yes");
  g_assert_cmpstr (percent_text, ==, "12.5 %");
  g_assert_cmpstr (audit_text, ==, "12,000");
  g_assert_true (pd_record_is_set (partner, "patient_data_visible"));
  g_assert_false (pd_record_get_bool (partner, "patient_data_visible"));
  g_assert_true (pd_record_set_canonical (partner, "institutions", "[]"));
  g_assert_false (pd_record_is_set (partner, "institutions"));
  g_assert_null (pd_record_get_strv (partner, "institutions")[0]);
}

static void
test_search_key (void)
{
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autofree char *query = pd_text_fold ("MÜNCHEN");

  pd_record_set_string (partner, "hq_city", "München");
  pd_record_set_string (partner, "tax_number", "DE999");
  g_assert_nonnull (strstr (pd_record_get_search_key (partner), query));
  g_assert_nonnull (strstr (pd_record_get_search_key (partner), "acme logistics"));
  g_assert_null (strstr (pd_record_get_search_key (partner), "de999"));
  /* The cached key follows changes. */
  pd_record_set_string (partner, "hq_city", "Hamburg");
  g_assert_null (strstr (pd_record_get_search_key (partner), query));
}

static void
test_store_refuses_invalid (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pd-test-validation-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "partner-desk.db", NULL);
  g_autoptr(PdStore) store = pd_store_open (path, &error);
  g_autoptr(PdRecord) partner = valid_partner ();
  g_autoptr(PdRecord) dup = valid_partner ();
  g_autoptr(PdRecord) blank = pd_record_new (&pd_partner_type);
  g_autofree char *message = NULL;
  g_autofree char *expected = NULL;

  g_assert_no_error (error);
  pd_record_set_string (partner, "billing_email", "billing(at)acme");
  message = message_for (partner, "billing_email");
  expected = g_strdup_printf ("Billing contact email: %s", message);
  g_assert_false (pd_store_save (store, partner, &error));
  g_assert_error (error, PD_ERROR, PD_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_assert_cmpint (pd_record_get_version (partner), ==, 0);
  g_assert_cmpint (pd_store_count (store, &pd_partner_type), ==, 0);

  g_assert_false (pd_store_save (store, blank, &error));
  g_assert_cmpstr (error->message, ==, "Company name: Company name is required");
  g_clear_error (&error);

  pd_record_set_string (partner, "billing_email", "billing@acme.example");
  g_assert_true (pd_store_save (store, partner, &error));
  g_assert_no_error (error);
  pd_record_set_string (dup, "name", "ACME LOGISTICS GMBH");
  g_assert_false (pd_store_save (store, dup, &error));
  g_assert_cmpstr (error->message, ==,
                   "Company name: A partner named “ACME LOGISTICS GMBH” already exists");

  g_clear_object (&store);
  for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL };
       *suffix; suffix++)
    {
      g_autofree char *file = g_strconcat (path, *suffix, NULL);

      g_remove (file);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/validation/valid-partner", test_valid_partner);
  g_test_add_func ("/validation/name-required", test_name_required);
  g_test_add_func ("/validation/email", test_email);
  g_test_add_func ("/validation/linkedin", test_linkedin);
  g_test_add_func ("/validation/employee-count", test_employee_count);
  g_test_add_func ("/validation/percent", test_percent);
  g_test_add_func ("/validation/money-c-locale", test_money_c_locale);
  g_test_add_func ("/validation/money-german-marks", test_money_german_marks);
  g_test_add_func ("/validation/money-german-locale", test_money_german_locale);
  g_test_add_func ("/validation/money-field", test_money_field);
  g_test_add_func ("/validation/only-if", test_only_if);
  g_test_add_func ("/validation/enum", test_enum);
  g_test_add_func ("/validation/text-forms", test_text_forms);
  g_test_add_func ("/validation/search-key", test_search_key);
  g_test_add_func ("/validation/store-refuses-invalid", test_store_refuses_invalid);

  return g_test_run ();
}
