/* pd-record-types.c: the record descriptions that drive SQL, JSON, validation and forms. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-record.h"

static const PdChoice partner_kinds[] = {
  { "employer", N_("Employer") },
  { "clinic", N_("Clinic") },
  { "intermediary", N_("Intermediary") },
  { NULL, NULL },
};

static const PdChoice commission_modes[] = {
  { "percentage", N_("Percentage") },
  { "fixed", N_("Fixed amount") },
  { NULL, NULL },
};

static const PdChoice payment_locations[] = {
  { "partner", N_("At the partner") },
  { "institution", N_("At our institution") },
  { NULL, NULL },
};

static const PdChoice partner_statuses[] = {
  { "draft", N_("Draft") },
  { "invited", N_("Invited") },
  { "active", N_("Active") },
  { "terminated", N_("Terminated") },
  { NULL, NULL },
};

static const PdChoice partner_user_roles[] = {
  { "partner_admin", N_("Partner admin") },
  { "partner_viewer", N_("Partner viewer") },
  { NULL, NULL },
};

static const PdChoice partner_user_statuses[] = {
  { "invited", N_("Invited") },
  { "active", N_("Active") },
  { "disabled", N_("Disabled") },
  { NULL, NULL },
};

static const PdChoice person_relationships[] = {
  { "employee", N_("Employee") },
  { "spouse", N_("Spouse") },
  { "child", N_("Child") },
  { "other", N_("Other") },
  { NULL, NULL },
};

static const PdChoice person_eligibility[] = {
  { "eligible", N_("Eligible") },
  { "ineligible", N_("Ineligible") },
  { "terminated", N_("Terminated") },
  { NULL, NULL },
};

static const PdChoice person_enrollment[] = {
  { "not_enrolled", N_("Not enrolled") },
  { "invited", N_("Invited") },
  { "enrolled", N_("Enrolled") },
  { "declined", N_("Declined") },
  { NULL, NULL },
};

static const PdChoice upload_modes[] = {
  { "full", N_("Full") },
  { "incremental", N_("Incremental") },
  { NULL, NULL },
};

static const PdChoice upload_formats[] = {
  { "csv", N_("CSV") },
  { "x12_834", N_("X12 834") },
  { NULL, NULL },
};

static const PdChoice booking_statuses[] = {
  { "booked", N_("Booked") },
  { "cancelled", N_("Cancelled") },
  { NULL, NULL },
};

#define F_REQ PD_FIELD_FLAG_REQUIRED
#define F_UNIQ PD_FIELD_FLAG_UNIQUE_NOCASE
#define F_SEARCH PD_FIELD_FLAG_SEARCHABLE
#define F_MULTI PD_FIELD_FLAG_MULTILINE
#define F_RO PD_FIELD_FLAG_READ_ONLY
#define F_EMAIL PD_FIELD_FLAG_EMAIL
#define F_LINKEDIN PD_FIELD_FLAG_LINKEDIN
#define F_HIDDEN PD_FIELD_FLAG_HIDDEN
#define F_DATE PD_FIELD_FLAG_DATE

static const PdField partner_fields[] = {
  /* Company */
  { "kind", PD_FIELD_ENUM, N_("Kind"), F_REQ, N_("Company"), partner_kinds },
  { "name", PD_FIELD_TEXT, N_("Company name"), F_REQ | F_UNIQ | F_SEARCH, N_("Company"),
    .placeholder = N_("Acme Logistics GmbH") },
  { "tax_number", PD_FIELD_TEXT, N_("Tax number"), 0, N_("Company") },
  { "registration_number", PD_FIELD_TEXT, N_("Registration number"), 0, N_("Company") },
  { "industry", PD_FIELD_TEXT, N_("Industry"), F_SEARCH, N_("Company") },
  { "employee_count", PD_FIELD_INT, N_("Employee count"), 0, N_("Company") },
  { "description", PD_FIELD_TEXT, N_("Description"), F_MULTI, N_("Company") },
  { "linkedin_url", PD_FIELD_TEXT, N_("LinkedIn page"), F_LINKEDIN, N_("Company"),
    .placeholder = N_("https://www.linkedin.com/company/…") },
  { "billing_email", PD_FIELD_TEXT, N_("Billing contact email"), F_EMAIL, N_("Company"),
    .placeholder = N_("billing@example.com") },
  { "owner_id", PD_FIELD_REF, N_("Organisation owner"), 0, N_("Company"),
    .ref_type = &pd_practice_user_type },
  /* Headquarters */
  { "hq_street", PD_FIELD_TEXT, N_("Street"), 0, N_("Headquarters") },
  { "hq_city", PD_FIELD_TEXT, N_("City"), F_SEARCH, N_("Headquarters") },
  { "hq_state", PD_FIELD_TEXT, N_("State or region"), 0, N_("Headquarters") },
  { "hq_postal_code", PD_FIELD_TEXT, N_("Postal code"), 0, N_("Headquarters") },
  { "hq_country", PD_FIELD_TEXT, N_("Country"), 0, N_("Headquarters") },
  /* Representative */
  { "rep_name", PD_FIELD_TEXT, N_("Representative name"), F_SEARCH, N_("Representative") },
  { "rep_email", PD_FIELD_TEXT, N_("Representative email"), F_EMAIL, N_("Representative"),
    .placeholder = N_("name@example.com") },
  { "rep_phone", PD_FIELD_TEXT, N_("Representative phone"), 0, N_("Representative") },
  /* Terms */
  { "institutions", PD_FIELD_REF_LIST, N_("Institutions where the partner can book"), 0,
    N_("Terms"), .ref_type = &pd_institution_type },
  { "statistics_required", PD_FIELD_BOOL, N_("Statistics required"), 0, N_("Terms") },
  { "commission_mode", PD_FIELD_ENUM, N_("Commission"), 0, N_("Terms"), commission_modes },
  { "commission_percent", PD_FIELD_PERCENT, N_("Commission percentage"), 0, N_("Terms"),
    .only_if = "commission_mode", .only_if_value = "percentage", .placeholder = N_("12.5") },
  { "commission_fixed", PD_FIELD_MONEY, N_("Fixed commission"), 0, N_("Terms"),
    .only_if = "commission_mode", .only_if_value = "fixed", .placeholder = N_("250.00") },
  { "payment_location", PD_FIELD_ENUM, N_("Payment location"), 0, N_("Terms"),
    payment_locations },
  { "patient_data_visible", PD_FIELD_BOOL, N_("Partner may view patient data"), 0,
    N_("Terms") },
  /* Status */
  { "status", PD_FIELD_ENUM, N_("Status"), 0, N_("Status"), partner_statuses },
  { "invited_at", PD_FIELD_TIMESTAMP, N_("Invited"), F_RO, N_("Status") },
  { "accepted_at", PD_FIELD_TIMESTAMP, N_("Accepted"), F_RO, N_("Status") },
  { "terminated_at", PD_FIELD_TIMESTAMP, N_("Terminated"), F_RO, N_("Status") },
  /* Set by "Resend invitation": the server emails the representative again (issue 5). */
  { "invitation_requested_at", PD_FIELD_TIMESTAMP, N_("Invitation requested"),
    F_RO | F_HIDDEN, N_("Status") },
};

static const PdField institution_fields[] = {
  { "name", PD_FIELD_TEXT, N_("Name"), F_REQ | F_UNIQ | F_SEARCH, NULL,
    .placeholder = N_("Riverside Medical Centre") },
  { "address", PD_FIELD_TEXT, N_("Address"), F_MULTI, NULL },
};

static const PdField partner_user_fields[] = {
  { "partner_id", PD_FIELD_REF, N_("Partner"), F_REQ | F_HIDDEN, NULL,
    .ref_type = &pd_partner_type },
  { "name", PD_FIELD_TEXT, N_("Name"), F_REQ | F_SEARCH, NULL },
  { "email", PD_FIELD_TEXT, N_("Email"), F_REQ | F_EMAIL | F_SEARCH, NULL,
    .placeholder = N_("name@example.com") },
  { "role", PD_FIELD_ENUM, N_("Role"), 0, NULL, partner_user_roles },
  { "status", PD_FIELD_ENUM, N_("Status"), 0, NULL, partner_user_statuses },
  { "invitation_requested_at", PD_FIELD_TIMESTAMP, N_("Invitation requested"),
    F_RO | F_HIDDEN, NULL },
};

static const PdField practice_user_fields[] = {
  { "name", PD_FIELD_TEXT, N_("Name"), F_REQ | F_SEARCH, NULL },
  { "email", PD_FIELD_TEXT, N_("Email"), F_EMAIL, NULL },
  /* Comma-separated permission names of DESIGN.md §2. */
  { "permissions", PD_FIELD_TEXT, N_("Permissions"), 0, NULL },
  { "invitation_requested_at", PD_FIELD_TIMESTAMP, N_("Invitation requested"),
    F_RO | F_HIDDEN, NULL },
};

/* The order of these fields is the order of the persons table's columns after the meta
 * columns (pd-import.c binds them by position); add new fields at the end. */
static const PdField person_fields[] = {
  { "partner_id", PD_FIELD_REF, N_("Partner"), F_REQ | F_HIDDEN, NULL,
    .ref_type = &pd_partner_type },
  { "member_id", PD_FIELD_TEXT, N_("Member ID"), F_REQ | F_SEARCH, N_("Person") },
  { "group_id", PD_FIELD_TEXT, N_("Group ID"), 0, N_("Person") },
  { "first_name", PD_FIELD_TEXT, N_("First name"), F_REQ | F_SEARCH, N_("Person") },
  { "last_name", PD_FIELD_TEXT, N_("Last name"), F_REQ | F_SEARCH, N_("Person") },
  /* "First Last", kept by the store from the two names: the title in lists and history. */
  { "display_name", PD_FIELD_TEXT, N_("Name"), F_RO | F_HIDDEN, NULL },
  { "date_of_birth", PD_FIELD_TEXT, N_("Date of birth"), F_REQ | F_DATE, N_("Person"),
    .placeholder = N_("1980-04-23") },
  { "relationship", PD_FIELD_ENUM, N_("Relationship"), F_REQ, N_("Coverage"),
    person_relationships },
  { "employee_member_id", PD_FIELD_TEXT, N_("Employee's member ID"), 0, N_("Coverage") },
  { "coverage_start", PD_FIELD_TEXT, N_("Coverage start"), F_DATE, N_("Coverage"),
    .placeholder = N_("2024-01-01") },
  { "coverage_end", PD_FIELD_TEXT, N_("Coverage end"), F_DATE, N_("Coverage"),
    .placeholder = N_("2024-12-31") },
  { "eligibility_status", PD_FIELD_ENUM, N_("Eligibility"), 0, N_("Coverage"),
    person_eligibility },
  { "enrollment_status", PD_FIELD_ENUM, N_("Enrollment"), 0, N_("Coverage"),
    person_enrollment },
  { "email", PD_FIELD_TEXT, N_("Email"), F_EMAIL | F_SEARCH, N_("Contact"),
    .placeholder = N_("name@example.com") },
  { "phone", PD_FIELD_TEXT, N_("Phone"), 0, N_("Contact") },
  { "street", PD_FIELD_TEXT, N_("Street"), 0, N_("Contact") },
  { "city", PD_FIELD_TEXT, N_("City"), 0, N_("Contact") },
  { "state", PD_FIELD_TEXT, N_("State or region"), 0, N_("Contact") },
  { "postal_code", PD_FIELD_TEXT, N_("Postal code"), 0, N_("Contact") },
  { "upload_id", PD_FIELD_REF, N_("Last upload"), F_RO, N_("Coverage"),
    .ref_type = &pd_upload_type },
};

/* Only applied uploads are recorded (a dry run or a failed import leaves no trace), so an
 * upload has no status. Its bytes are in upload_files, its rejected rows in upload_errors. */
static const PdField upload_fields[] = {
  { "partner_id", PD_FIELD_REF, N_("Partner"), F_REQ | F_HIDDEN, NULL,
    .ref_type = &pd_partner_type },
  { "file_name", PD_FIELD_TEXT, N_("File"), F_REQ | F_SEARCH, NULL },
  { "sha256", PD_FIELD_TEXT, N_("SHA-256"), F_RO, NULL },
  { "mode", PD_FIELD_ENUM, N_("Mode"), 0, NULL, upload_modes },
  { "format", PD_FIELD_ENUM, N_("Format"), 0, NULL, upload_formats },
  { "encoding", PD_FIELD_TEXT, N_("Encoding"), F_RO, NULL },
  { "size", PD_FIELD_INT, N_("Size in bytes"), F_RO, NULL },
  { "termination_date", PD_FIELD_TEXT, N_("Coverage ended on"), F_RO | F_DATE, NULL },
  { "rows", PD_FIELD_INT, N_("Rows"), F_RO, NULL },
  { "created", PD_FIELD_INT, N_("Created"), F_RO, NULL },
  { "updated", PD_FIELD_INT, N_("Updated"), F_RO, NULL },
  { "unchanged", PD_FIELD_INT, N_("Unchanged"), F_RO, NULL },
  { "terminated", PD_FIELD_INT, N_("Terminated"), F_RO, NULL },
  { "rejected", PD_FIELD_INT, N_("Rejected"), F_RO, NULL },
  { "who", PD_FIELD_TEXT, N_("Uploaded by"), F_RO, NULL },
};

/* Issue 4. "title" fields are kept by the store from the records they name
 * ("Resting ECG at Riverside Medical Centre"): the title in history and messages. */
static const PdField examination_fields[] = {
  { "code", PD_FIELD_TEXT, N_("Code"), F_REQ | F_UNIQ | F_SEARCH, NULL,
    .placeholder = N_("ECG-REST") },
  { "name", PD_FIELD_TEXT, N_("Name"), F_REQ | F_SEARCH, NULL,
    .placeholder = N_("Resting ECG") },
  { "duration_minutes", PD_FIELD_INT, N_("Duration in minutes"), F_REQ, NULL,
    .placeholder = N_("30") },
  { "archived", PD_FIELD_BOOL, N_("Archived"), 0, NULL },
};

static const PdField examination_price_fields[] = {
  { "examination_id", PD_FIELD_REF, N_("Examination"), F_REQ, NULL,
    .ref_type = &pd_examination_type },
  { "institution_id", PD_FIELD_REF, N_("Institution"), F_REQ, NULL,
    .ref_type = &pd_institution_type },
  { "price", PD_FIELD_MONEY, N_("Price"), F_REQ, NULL, .placeholder = N_("120.00") },
  { "title", PD_FIELD_TEXT, N_("Title"), F_RO | F_HIDDEN, NULL },
};

static const PdField activation_fields[] = {
  { "partner_id", PD_FIELD_REF, N_("Partner"), F_REQ | F_HIDDEN, NULL,
    .ref_type = &pd_partner_type },
  { "institution_id", PD_FIELD_REF, N_("Institution"), F_REQ, NULL,
    .ref_type = &pd_institution_type },
  { "examination_id", PD_FIELD_REF, N_("Examination"), F_REQ, NULL,
    .ref_type = &pd_examination_type },
  { "enabled", PD_FIELD_BOOL, N_("Enabled"), 0, NULL },
  { "title", PD_FIELD_TEXT, N_("Title"), F_RO | F_HIDDEN, NULL },
};

static const PdField booking_fields[] = {
  { "partner_id", PD_FIELD_REF, N_("Partner"), F_REQ | F_HIDDEN, NULL,
    .ref_type = &pd_partner_type },
  { "institution_id", PD_FIELD_REF, N_("Institution"), F_REQ, NULL,
    .ref_type = &pd_institution_type },
  { "examination_id", PD_FIELD_REF, N_("Examination"), F_REQ, NULL,
    .ref_type = &pd_examination_type },
  { "booked_at", PD_FIELD_TIMESTAMP, N_("Date and time"), F_REQ, NULL },
  { "person_id", PD_FIELD_REF, N_("Person"), 0, NULL, .ref_type = &pd_person_type },
  /* The patient's name as booked (the person's name when a person was chosen). */
  { "patient_name", PD_FIELD_TEXT, N_("Patient"), F_SEARCH, NULL },
  { "price", PD_FIELD_MONEY, N_("Price"), F_RO, NULL },
  { "commission", PD_FIELD_MONEY, N_("Commission"), F_RO, NULL },
  { "status", PD_FIELD_ENUM, N_("Status"), 0, NULL, booking_statuses },
  { "cancelled_at", PD_FIELD_TIMESTAMP, N_("Cancelled"), F_RO, NULL },
};

static const PdField commission_rate_fields[] = {
  { "partner_id", PD_FIELD_REF, N_("Partner"), F_REQ | F_HIDDEN, NULL,
    .ref_type = &pd_partner_type },
  { "effective_from", PD_FIELD_TEXT, N_("Effective from"), F_REQ | F_DATE, NULL,
    .placeholder = N_("2026-01-01") },
  { "mode", PD_FIELD_ENUM, N_("Commission"), 0, NULL, commission_modes },
  { "percent", PD_FIELD_PERCENT, N_("Commission percentage"), 0, NULL,
    .only_if = "mode", .only_if_value = "percentage", .placeholder = N_("12.5") },
  { "fixed", PD_FIELD_MONEY, N_("Fixed commission"), 0, NULL,
    .only_if = "mode", .only_if_value = "fixed", .placeholder = N_("250.00") },
};

static const PdField benefit_fields[] = {
  { "partner_id", PD_FIELD_REF, N_("Partner"), F_REQ | F_HIDDEN, NULL,
    .ref_type = &pd_partner_type },
  { "examination_id", PD_FIELD_REF, N_("Covered examination"), F_REQ, NULL,
    .ref_type = &pd_examination_type },
  /* 0 or unset: unlimited. */
  { "visits_per_year", PD_FIELD_INT, N_("Visits per year"), 0, NULL,
    .placeholder = N_("0 = unlimited") },
  { "copay", PD_FIELD_MONEY, N_("Copay"), 0, NULL, .placeholder = N_("0.00") },
  { "waiting_days", PD_FIELD_INT, N_("Waiting period in days"), 0, NULL,
    .placeholder = N_("0") },
  { "dependents_covered", PD_FIELD_BOOL, N_("Dependents covered"), 0, NULL },
  { "title", PD_FIELD_TEXT, N_("Title"), F_RO | F_HIDDEN, NULL },
};

const PdRecordType pd_partner_type = {
  "partner", "partners", N_("Partner"),
  partner_fields, G_N_ELEMENTS (partner_fields), "id", "name",
};

const PdRecordType pd_institution_type = {
  "institution", "institutions", N_("Institution"),
  institution_fields, G_N_ELEMENTS (institution_fields), NULL, "name",
};

const PdRecordType pd_partner_user_type = {
  "partner_user", "partner_users", N_("Partner user"),
  partner_user_fields, G_N_ELEMENTS (partner_user_fields), "partner_id", "name",
};

const PdRecordType pd_practice_user_type = {
  "practice_user", "practice_users", N_("Practice user"),
  practice_user_fields, G_N_ELEMENTS (practice_user_fields), NULL, "name",
};

const PdRecordType pd_person_type = {
  "person", "persons", N_("Person"),
  person_fields, G_N_ELEMENTS (person_fields), "partner_id", "display_name",
};

const PdRecordType pd_upload_type = {
  "upload", "uploads", N_("Upload"),
  upload_fields, G_N_ELEMENTS (upload_fields), "partner_id", "file_name",
};

const PdRecordType pd_examination_type = {
  "examination", "examinations", N_("Examination"),
  examination_fields, G_N_ELEMENTS (examination_fields), NULL, "name",
};

const PdRecordType pd_examination_price_type = {
  "examination_price", "examination_prices", N_("Price"),
  examination_price_fields, G_N_ELEMENTS (examination_price_fields), NULL, "title",
};

const PdRecordType pd_activation_type = {
  "activation", "activations", N_("Activation"),
  activation_fields, G_N_ELEMENTS (activation_fields), "partner_id", "title",
};

const PdRecordType pd_booking_type = {
  "booking", "bookings", N_("Booking"),
  booking_fields, G_N_ELEMENTS (booking_fields), "partner_id", "patient_name",
};

const PdRecordType pd_commission_rate_type = {
  "commission_rate", "commission_rates", N_("Commission rate"),
  commission_rate_fields, G_N_ELEMENTS (commission_rate_fields), "partner_id", "effective_from",
};

const PdRecordType pd_benefit_type = {
  "benefit", "benefits", N_("Benefit"),
  benefit_fields, G_N_ELEMENTS (benefit_fields), "partner_id", "title",
};

static const PdRecordType *all_types[] = {
  &pd_person_type,
  &pd_upload_type,
  &pd_partner_type,
  &pd_institution_type,
  &pd_partner_user_type,
  &pd_practice_user_type,
  &pd_examination_type,
  &pd_examination_price_type,
  &pd_activation_type,
  &pd_booking_type,
  &pd_commission_rate_type,
  &pd_benefit_type,
};

const PdRecordType *
pd_record_type_lookup (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (all_types); i++)
    if (strcmp (all_types[i]->name, name) == 0)
      return all_types[i];
  return NULL;
}

const PdField *
pd_record_type_get_field (const PdRecordType *type,
                          const char         *name)
{
  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < type->n_fields; i++)
    if (strcmp (type->fields[i].name, name) == 0)
      return &type->fields[i];
  return NULL;
}

const char *
pd_field_choice_label (const PdField *field,
                       const char    *nick)
{
  g_return_val_if_fail (field != NULL, NULL);

  if (field->choices == NULL || nick == NULL)
    return NULL;
  for (const PdChoice *c = field->choices; c->nick; c++)
    if (strcmp (c->nick, nick) == 0)
      return _(c->label);
  return NULL;
}
