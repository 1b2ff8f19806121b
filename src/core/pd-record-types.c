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

#define F_REQ PD_FIELD_FLAG_REQUIRED
#define F_UNIQ PD_FIELD_FLAG_UNIQUE_NOCASE
#define F_SEARCH PD_FIELD_FLAG_SEARCHABLE
#define F_MULTI PD_FIELD_FLAG_MULTILINE
#define F_RO PD_FIELD_FLAG_READ_ONLY
#define F_EMAIL PD_FIELD_FLAG_EMAIL
#define F_LINKEDIN PD_FIELD_FLAG_LINKEDIN
#define F_HIDDEN PD_FIELD_FLAG_HIDDEN

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
};

static const PdField practice_user_fields[] = {
  { "name", PD_FIELD_TEXT, N_("Name"), F_REQ | F_SEARCH, NULL },
  { "email", PD_FIELD_TEXT, N_("Email"), F_EMAIL, NULL },
  /* Comma-separated permission names of DESIGN.md §2. */
  { "permissions", PD_FIELD_TEXT, N_("Permissions"), 0, NULL },
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

static const PdRecordType *all_types[] = {
  &pd_partner_type,
  &pd_institution_type,
  &pd_partner_user_type,
  &pd_practice_user_type,
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
