/* pd-sample-data.c: a deterministic, believable practice for first runs, demos and benchmarks. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pd-error.h"
#include "pd-commerce-private.h"
#include "pd-import-private.h"
#include "pd-sample-data.h"
#include "pd-store-private.h"

typedef struct {
  const char *name;
  const char *address;
} SampleInstitution;

static const SampleInstitution institutions[] = {
  { "Riverside Medical Centre", "12 Riverside Walk\n20457 Hamburg\nGermany" },
  { "Northgate Diagnostics", "Nordtor 3\n20095 Hamburg\nGermany" },
  { "Harbour Street Clinic", "48 Harbour Street\n20359 Hamburg\nGermany" },
};

typedef struct {
  const char *name;
  const char *kind;
  const char *industry;
  const char *street;
  const char *postal_code;
  const char *city;
  const char *state;
  const char *country;
  const char *domain;
  gint64      employees;
} SamplePartner;

static const SamplePartner partners[] = {
  /* Employers */
  { "Acme Logistics GmbH", "employer", "Logistics", "Hafenstraße 21", "20457", "Hamburg", "Hamburg", "Germany", "acme-logistics.de", 1240 },
  { "Nordlicht Software AG", "employer", "Software", "Torstraße 140", "10119", "Berlin", "Berlin", "Germany", "nordlicht-software.de", 310 },
  { "Bergmann Bau GmbH", "employer", "Construction", "Landsberger Straße 88", "80339", "Munich", "Bavaria", "Germany", "bergmann-bau.de", 860 },
  { "Rheinwerk Chemie AG", "employer", "Chemicals", "Industriestraße 5", "67063", "Ludwigshafen", "Rhineland-Palatinate", "Germany", "rheinwerk-chemie.de", 4200 },
  { "Alpenblick Hotels GmbH", "employer", "Hospitality", "Zugspitzstraße 12", "82467", "Garmisch-Partenkirchen", "Bavaria", "Germany", "alpenblick-hotels.de", 520 },
  { "Hanse Retail KG", "employer", "Retail", "Obernstraße 44", "28195", "Bremen", "Bremen", "Germany", "hanse-retail.de", 2300 },
  { "Elbe Shipping GmbH", "employer", "Shipping", "Am Sandtorkai 7", "20457", "Hamburg", "Hamburg", "Germany", "elbe-shipping.de", 640 },
  { "Sonnenfeld Solar GmbH", "employer", "Renewable energy", "Wiesentalstraße 9", "79115", "Freiburg", "Baden-Württemberg", "Germany", "sonnenfeld-solar.de", 185 },
  { "Weserland Foods GmbH", "employer", "Food production", "Mühlenweg 30", "26123", "Oldenburg", "Lower Saxony", "Germany", "weserland-foods.de", 970 },
  { "Kessler Automotive Parts GmbH", "employer", "Automotive", "Motorstraße 61", "70499", "Stuttgart", "Baden-Württemberg", "Germany", "kessler-automotive.de", 3100 },
  { "Brightwater Insurance Ltd", "employer", "Insurance", "1 Spinningfields Square", "M3 3AP", "Manchester", "Greater Manchester", "United Kingdom", "brightwater-insurance.co.uk", 1450 },
  { "Pemberton & Hale LLP", "employer", "Legal services", "22 Bishopsgate", "EC2N 4BQ", "London", "Greater London", "United Kingdom", "pembertonhale.co.uk", 240 },
  { "Thistle Bank plc", "employer", "Banking", "8 St Andrew Square", "EH2 2AF", "Edinburgh", "Scotland", "United Kingdom", "thistlebank.co.uk", 5600 },
  { "Greenway Transit Ltd", "employer", "Public transport", "Wellington Place 4", "LS1 4AP", "Leeds", "West Yorkshire", "United Kingdom", "greenway-transit.co.uk", 2750 },
  { "Oakridge Manufacturing Ltd", "employer", "Manufacturing", "Tyseley Industrial Estate 17", "B11 2AA", "Birmingham", "West Midlands", "United Kingdom", "oakridge-mfg.co.uk", 780 },
  { "Lumen Telecom B.V.", "employer", "Telecommunications", "Wilhelminakade 91", "3072 AP", "Rotterdam", "South Holland", "Netherlands", "lumentelecom.nl", 1900 },
  { "Vermeer Agrotech B.V.", "employer", "Agriculture", "Europalaan 40", "3526 KS", "Utrecht", "Utrecht", "Netherlands", "vermeer-agrotech.nl", 420 },
  { "Danube Pharma GmbH", "employer", "Pharmaceuticals", "Leopold-Ungar-Platz 2", "1190", "Vienna", "Vienna", "Austria", "danube-pharma.at", 1350 },
  { "Helvetia Precision AG", "employer", "Precision engineering", "Hardturmstrasse 161", "8005", "Zurich", "Zurich", "Switzerland", "helvetia-precision.ch", 690 },
  { "Café Lindner GmbH", "employer", "Catering", "Ehrenstraße 52", "50672", "Cologne", "North Rhine-Westphalia", "Germany", "cafe-lindner.de", 95 },
  { "Müller Druck GmbH", "employer", "Printing", "Gutenbergplatz 3", "04103", "Leipzig", "Saxony", "Germany", "mueller-druck.de", 210 },
  { "Stadtwerke Neustadt GmbH", "employer", "Utilities", "Branchweilerhofstraße 100", "67433", "Neustadt an der Weinstraße", "Rhineland-Palatinate", "Germany", "stadtwerke-neustadt.de", 480 },
  { "Polaris Games Studio GmbH", "employer", "Video games", "Schlesische Straße 26", "10997", "Berlin", "Berlin", "Germany", "polaris-games.de", 140 },
  { "Kranich Airline Services GmbH", "employer", "Aviation services", "Hugo-Eckener-Ring 1", "60549", "Frankfurt am Main", "Hesse", "Germany", "kranich-services.de", 3800 },
  /* Clinics */
  { "Lindenhof Physiotherapy", "clinic", "Physiotherapy", "Lindenstraße 14", "30159", "Hanover", "Lower Saxony", "Germany", "lindenhof-physio.de", 18 },
  { "St. Anna Women's Clinic", "clinic", "Gynaecology", "Annastraße 6", "97070", "Würzburg", "Bavaria", "Germany", "st-anna-klinik.de", 64 },
  { "Seaview Dental Group", "clinic", "Dentistry", "27 Marine Parade", "BN2 1TL", "Brighton", "East Sussex", "United Kingdom", "seaviewdental.co.uk", 42 },
  { "Praxis Dr. Weber & Kollegen", "clinic", "General practice", "Prager Straße 10", "01069", "Dresden", "Saxony", "Germany", "praxis-weber.de", 12 },
  { "Northfield Orthopaedic Clinic", "clinic", "Orthopaedics", "90 Glossop Road", "S10 2HX", "Sheffield", "South Yorkshire", "United Kingdom", "northfield-ortho.co.uk", 55 },
  { "Kinderarztpraxis Sonnenschein", "clinic", "Paediatrics", "Holstenstraße 30", "24103", "Kiel", "Schleswig-Holstein", "Germany", "kinderarzt-sonnenschein.de", 9 },
  { "Clearview Eye Clinic", "clinic", "Ophthalmology", "15 Whiteladies Road", "BS8 1PB", "Bristol", "City of Bristol", "United Kingdom", "clearview-eye.co.uk", 27 },
  { "Radiologie am Markt", "clinic", "Radiology", "Prinzipalmarkt 18", "48143", "Münster", "North Rhine-Westphalia", "Germany", "radiologie-am-markt.de", 38 },
  { "Harbourside Sports Medicine", "clinic", "Sports medicine", "3 Mermaid Quay", "CF10 5BZ", "Cardiff", "Wales", "United Kingdom", "harbourside-sportsmed.co.uk", 21 },
  { "Dermatologie Westend", "clinic", "Dermatology", "Bockenheimer Landstraße 51", "60325", "Frankfurt am Main", "Hesse", "Germany", "derma-westend.de", 16 },
  { "MVZ Rhein-Ruhr", "clinic", "Multi-specialty care", "Kettwiger Straße 2", "45127", "Essen", "North Rhine-Westphalia", "Germany", "mvz-rhein-ruhr.de", 120 },
  { "Green Lane Mental Health Centre", "clinic", "Psychotherapy", "41 Green Lane", "NG7 2FF", "Nottingham", "Nottinghamshire", "United Kingdom", "greenlane-mh.co.uk", 33 },
  /* Intermediaries */
  { "MediBroker Partners GmbH", "intermediary", "Health insurance brokerage", "Königsallee 60", "40212", "Düsseldorf", "North Rhine-Westphalia", "Germany", "medibroker.de", 75 },
  { "CareBridge Benefits Ltd", "intermediary", "Employee benefits consultancy", "10 Finsbury Square", "EC2A 1AF", "London", "Greater London", "United Kingdom", "carebridge-benefits.co.uk", 160 },
  { "VitaLink Health Network B.V.", "intermediary", "Referral network", "Herengracht 420", "1017 BZ", "Amsterdam", "North Holland", "Netherlands", "vitalink.nl", 48 },
  { "Corporate Health Solutions GmbH", "intermediary", "Occupational health services", "Augustaanlage 32", "68165", "Mannheim", "Baden-Württemberg", "Germany", "corporate-health.de", 230 },
  { "BenefitWorks Consulting Ltd", "intermediary", "HR consulting", "25 Merrion Square", "D02 XT84", "Dublin", "Leinster", "Ireland", "benefitworks.ie", 64 },
  { "Gesundheitsnetz Süd eG", "intermediary", "Physician network", "Maximilianstraße 9", "86150", "Augsburg", "Bavaria", "Germany", "gesundheitsnetz-sued.de", 22 },
  { "Premier Health Brokers Ltd", "intermediary", "Insurance brokerage", "120 St Vincent Street", "G2 5HF", "Glasgow", "Scotland", "United Kingdom", "premierhealthbrokers.co.uk", 58 },
  { "Arbeitsmedizin Plus GmbH", "intermediary", "Occupational medicine", "Vahrenwalder Straße 7", "30165", "Hanover", "Lower Saxony", "Germany", "arbeitsmedizin-plus.de", 90 },
  { "WellPath Employer Services Ltd", "intermediary", "Benefits administration", "2 Sovereign Square", "LS1 4DA", "Leeds", "West Yorkshire", "United Kingdom", "wellpath-es.co.uk", 110 },
  { "Nordic Care Partners AB", "intermediary", "Referral network", "Stortorget 17", "211 22", "Malmö", "Skåne", "Sweden", "nordiccare.se", 36 },
};

static const char *const first_names[] = {
  "Anna", "Lukas", "Sophie", "Jonas", "Emma", "Felix", "Mia", "Paul", "Laura", "David",
  "Hannah", "Oliver", "Charlotte", "James", "Amelia", "Thomas", "Lea", "Niklas", "Sarah",
  "Daniel", "Julia", "Tobias", "Eva", "Samuel", "Ingrid", "Marco",
};

static const char *const last_names[] = {
  "Berg", "Schneider", "Fischer", "Walker", "Novak", "Jansen", "Hoffmann", "Taylor",
  "Keller", "Brennan", "Lindqvist", "Wagner", "Evans", "Becker", "Murphy", "Richter",
  "de Vries", "Koch", "Hughes", "Wolf", "Clarke", "Krause", "Bauer",
};

static const char *const statuses[] = { "draft", "invited", "active", "terminated" };

/* Lower-case ASCII for email local parts: "Müller" -> "muller", "de Vries" -> "devries". */
static char *
ascii_slug (const char *text,
            const char *separator)
{
  g_autofree char *ascii = g_str_to_ascii (text, "C");
  GString *out = g_string_new (NULL);
  gboolean pending_sep = FALSE;

  for (const char *p = ascii; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          if (pending_sep && out->len > 0)
            g_string_append (out, separator);
          g_string_append_c (out, g_ascii_tolower (*p));
          pending_sep = FALSE;
        }
      else if (*p != '\'' && *p != '.')
        pending_sep = TRUE;
    }
  return g_string_free (out, FALSE);
}

static char *
person_name (guint n)
{
  return g_strdup_printf ("%s %s", first_names[n % G_N_ELEMENTS (first_names)],
                          last_names[(n * 7 + 3) % G_N_ELEMENTS (last_names)]);
}

static char *
person_email (const char *name,
              const char *domain)
{
  g_autofree char *local = ascii_slug (name, ".");

  return g_strdup_printf ("%s@%s", local, domain);
}

static const char *
phone_prefix (const char *country)
{
  if (g_str_equal (country, "United Kingdom"))
    return "+44 20";
  if (g_str_equal (country, "Netherlands"))
    return "+31 10";
  if (g_str_equal (country, "Austria"))
    return "+43 1";
  if (g_str_equal (country, "Switzerland"))
    return "+41 44";
  if (g_str_equal (country, "Ireland"))
    return "+353 1";
  if (g_str_equal (country, "Sweden"))
    return "+46 40";
  return "+49 40";
}

static char *
sample_description (const SamplePartner *p)
{
  if (g_str_equal (p->kind, "clinic"))
    return g_strdup_printf ("%s practice in %s that refers patients for imaging and "
                            "specialist examinations.", p->industry, p->city);
  if (g_str_equal (p->kind, "intermediary"))
    return g_strdup_printf ("%s based in %s, bringing employer groups and insured "
                            "members to our institutions.", p->industry, p->city);
  return g_strdup_printf ("%s company headquartered in %s; offers preventive "
                          "check-ups to its staff as an employee benefit.", p->industry,
                          p->city);
}

static char *
stamp (guint month,
       guint day)
{
  return g_strdup_printf ("2025-%02u-%02uT%02u:%02u:00Z", month, day, 8 + day % 9, (day * 7) % 60);
}

static void
set_status (PdRecord *record,
            guint     i)
{
  const char *status = statuses[i % G_N_ELEMENTS (statuses)];
  g_autofree char *invited = stamp (1 + i % 6, 1 + i % 27);
  g_autofree char *accepted = stamp (7 + i % 3, 1 + (i * 3) % 27);
  g_autofree char *terminated = stamp (11, 1 + (i * 5) % 27);

  pd_record_set_string (record, "status", status);
  if (g_str_equal (status, "draft"))
    return;
  pd_record_set_string (record, "invited_at", invited);
  if (g_str_equal (status, "invited"))
    return;
  pd_record_set_string (record, "accepted_at", accepted);
  if (g_str_equal (status, "terminated"))
    pd_record_set_string (record, "terminated_at", terminated);
}

static void
set_terms (PdRecord            *record,
           guint                i,
           const char * const  *institution_ids)
{
  const char *chosen[4] = { NULL };
  guint n = 0;

  /* Every partner may book somewhere; some at all three institutions. */
  for (guint k = 0; k < 3; k++)
    if (k == i % 3 || (i % 4 == 0) || (k == (i + 1) % 3 && i % 3 == 1))
      chosen[n++] = institution_ids[k];
  pd_record_set_strv (record, "institutions", chosen);
  pd_record_set_bool (record, "statistics_required", i % 2 == 0);
  if (g_str_equal (pd_record_get_string (record, "kind"), "intermediary") || i % 5 == 3)
    {
      pd_record_set_string (record, "commission_mode", "fixed");
      pd_record_set_int (record, "commission_fixed", 2500 + (i % 8) * 1250);
    }
  else
    {
      pd_record_set_string (record, "commission_mode", "percentage");
      pd_record_set_int (record, "commission_percent", 500 + (i % 7) * 250);
    }
  pd_record_set_string (record, "payment_location", i % 3 == 0 ? "institution" : "partner");
  pd_record_set_bool (record, "patient_data_visible",
                      g_str_equal (pd_record_get_string (record, "kind"), "clinic"));
}

static PdRecord *
sample_partner (PdStore            *store,
                guint               i,
                const char * const *institution_ids)
{
  const SamplePartner *p = &partners[i];
  PdRecord *record = pd_record_new (&pd_partner_type);
  g_autofree char *slug = ascii_slug (p->name, "-");
  g_autofree char *linkedin = g_strdup_printf ("https://www.linkedin.com/company/%s", slug);
  g_autofree char *billing = g_strdup_printf ("billing@%s", p->domain);
  g_autofree char *rep = person_name (i * 5 + 1);
  g_autofree char *rep_email = person_email (rep, p->domain);
  g_autofree char *phone = g_strdup_printf ("%s %03u %04u", phone_prefix (p->country),
                                            100 + (i * 37) % 900, (i * 1213) % 10000);
  g_autofree char *tax = g_strdup_printf ("DE%09u", 100000000 + i * 7654321 % 900000000);
  g_autofree char *registration = g_strdup_printf ("HRB %u", 10000 + i * 1733 % 90000);
  g_autofree char *description = sample_description (p);

  pd_record_set_string (record, "kind", p->kind);
  pd_record_set_string (record, "name", p->name);
  pd_record_set_string (record, "tax_number", tax);
  pd_record_set_string (record, "registration_number", registration);
  pd_record_set_string (record, "industry", p->industry);
  pd_record_set_int (record, "employee_count", p->employees);
  pd_record_set_string (record, "description", description);
  pd_record_set_string (record, "linkedin_url", linkedin);
  pd_record_set_string (record, "billing_email", billing);
  pd_record_set_string (record, "owner_id", pd_store_get_local_user_id (store));
  pd_record_set_string (record, "hq_street", p->street);
  pd_record_set_string (record, "hq_city", p->city);
  pd_record_set_string (record, "hq_state", p->state);
  pd_record_set_string (record, "hq_postal_code", p->postal_code);
  pd_record_set_string (record, "hq_country", p->country);
  pd_record_set_string (record, "rep_name", rep);
  pd_record_set_string (record, "rep_email", rep_email);
  pd_record_set_string (record, "rep_phone", phone);
  set_terms (record, i, institution_ids);
  set_status (record, i);
  return record;
}

static gboolean
add_portal_users (PdStore   *store,
                  PdRecord  *partner,
                  guint      i,
                  GError   **error)
{
  const SamplePartner *p = &partners[i];
  guint n = 1 + i % 4;

  for (guint k = 0; k < n; k++)
    {
      g_autoptr(PdRecord) user = pd_record_new (&pd_partner_user_type);
      g_autofree char *name = person_name (i * 11 + k * 3 + 2);
      g_autofree char *email = person_email (name, p->domain);

      pd_record_set_string (user, "partner_id", pd_record_get_id (partner));
      pd_record_set_string (user, "name", name);
      pd_record_set_string (user, "email", email);
      pd_record_set_string (user, "role", k == 0 ? "partner_admin" : "partner_viewer");
      pd_record_set_string (user, "status", k == 3 ? "disabled" : (k == 2 ? "invited" : "active"));
      if (!pd_store_save (store, user, error))
        return FALSE;
    }
  return TRUE;
}


/* People and upload history of employers: each gets a census (a full upload some weeks
 * ago) and a later incremental file, imported through the real import pipeline. */

static const char *const streets[] = {
  "Bahnhofstraße", "Gartenweg", "Lindenallee", "Mill Lane", "Station Road", "Kerkstraat",
  "Schillerstraße", "Church Street", "Hauptstraße", "Park Avenue", "Rosenweg", "High Street",
};

typedef struct {
  char  id[32];
  char  employee[32];
  const char *first;
  const char *last;
  const char *relationship;
  char  dob[11];
  char  start[11];
  char  end[11];
  const char *eligibility;
  const char *enrollment;
  char  email[96];
  char  phone[32];
  char  street[64];
} SamplePerson;

#define CENSUS_HEADER "Member ID,Group ID,First Name,Last Name,Date of Birth,Relationship," \
  "Employee ID,Coverage Start,Coverage End,Eligibility,Enrollment,Email,Phone,Street,City," \
  "Postal Code\r\n"

static guint
people_count (const SamplePartner *p,
              GRand               *rand)
{
  if (g_str_equal (p->name, "Thistle Bank plc"))
    return 5000;
  return (guint) g_rand_int_range (rand, 20, 301);
}

static void
sample_person (SamplePerson        *person,
               const SamplePartner *p,
               GRand               *rand,
               const char          *prefix,
               guint                family,
               guint                member)
{
  static const char *const enrollment[] = { "Enrolled", "Enrolled", "Invited", "Not enrolled",
                                            "Declined" };
  int year = member == 0 ? g_rand_int_range (rand, 1958, 2003)
             : member == 1 ? g_rand_int_range (rand, 1960, 2003) : g_rand_int_range (rand, 2004, 2023);
  g_autofree char *name = NULL;

  memset (person, 0, sizeof *person);
  g_snprintf (person->employee, sizeof person->employee, "%s-%05u", prefix, family);
  if (member == 0)
    g_strlcpy (person->id, person->employee, sizeof person->id);
  else
    g_snprintf (person->id, sizeof person->id, "%s-%02u", person->employee, member);
  person->first = first_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (first_names))];
  person->last = last_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (last_names))];
  person->relationship = member == 0 ? "Employee" : member == 1 ? "Spouse" : "Child";
  g_snprintf (person->dob, sizeof person->dob, "%04d-%02d-%02d", year,
              g_rand_int_range (rand, 1, 13), g_rand_int_range (rand, 1, 29));
  g_snprintf (person->start, sizeof person->start, "%04d-%02d-01",
              g_rand_int_range (rand, 2019, 2025), g_rand_int_range (rand, 1, 13));
  person->eligibility = "Active";
  person->enrollment = enrollment[g_rand_int_range (rand, 0, G_N_ELEMENTS (enrollment))];
  if (member == 0)
    {
      name = g_strdup_printf ("%s %s", person->first, person->last);
      g_autofree char *email = person_email (name, p->domain);

      g_snprintf (person->email, sizeof person->email, "%s", email);
      g_snprintf (person->phone, sizeof person->phone, "%s %03u %04u", phone_prefix (p->country),
                  (guint) g_rand_int_range (rand, 100, 999),
                  (guint) g_rand_int_range (rand, 1000, 9999));
    }
  g_snprintf (person->street, sizeof person->street, "%s %u",
              streets[g_rand_int_range (rand, 0, G_N_ELEMENTS (streets))],
              (guint) g_rand_int_range (rand, 1, 120));
}

static GArray *
sample_people (const SamplePartner *p,
               GRand               *rand)
{
  guint n = people_count (p, rand);
  GArray *people = g_array_sized_new (FALSE, FALSE, sizeof (SamplePerson), n);
  g_autofree char *slug = ascii_slug (p->name, "");
  char prefix[4] = { 0 };
  guint family = 0;

  for (guint i = 0; i < 3; i++)
    prefix[i] = g_ascii_toupper (slug[i] ? slug[i] : 'X');
  while (people->len < n)
    {
      guint size = 1 + (g_rand_int_range (rand, 0, 100) < 40) + g_rand_int_range (rand, 0, 3)
                   * (g_rand_int_range (rand, 0, 100) < 50);

      family++;
      for (guint m = 0; m < size && people->len < n; m++)
        {
          SamplePerson person;

          /* Children only after a spouse slot: member 1 is the spouse. */
          sample_person (&person, p, rand, prefix, family, m == 0 ? 0 : m);
          g_array_append_val (people, person);
        }
    }
  return people;
}

static GBytes *
census_bytes (const SamplePartner *p,
              GArray              *people,
              gboolean             later,
              GRand               *rand)
{
  GString *csv = g_string_new (CENSUS_HEADER);

  for (guint i = 0; i < people->len; i++)
    {
      SamplePerson *q = &g_array_index (people, SamplePerson, i);

      if (later)
        {
          guint dice = (guint) g_rand_int_range (rand, 0, 100);

          /* The later file: some leave, some change enrollment. */
          if (dice < 2 && g_str_equal (q->relationship, "Employee"))
            {
              q->eligibility = "Terminated";
              g_strlcpy (q->end, "2024-02-29", sizeof q->end);
            }
          else if (dice < 6)
            q->enrollment = "Enrolled";
        }
      g_string_append_printf (csv, "%s,GRP-%u,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\r\n",
                              q->id, (i % 3) + 1, q->first, q->last, q->dob, q->relationship,
                              g_str_equal (q->relationship, "Employee") ? "" : q->employee,
                              q->start, q->end, q->eligibility, q->enrollment, q->email,
                              q->phone, q->street, p->city, p->postal_code);
    }
  return g_string_free_to_bytes (csv);
}

/* Moves an upload (and its audit entry) back to AT: the history spans some weeks. */
static gboolean
backdate_upload (PdStore     *store,
                 const char  *upload_id,
                 const char  *at,
                 GError     **error)
{
  const char *statements[] = {
    "UPDATE uploads SET created_at = ?1, updated_at = ?1 WHERE id = ?2",
    "UPDATE audit SET at = ?1 WHERE record_id = ?2",
  };

  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      g_autoptr(PdStmt) stmt = _pd_store_prepare (store, statements[i], error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, at, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, upload_id, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_DONE)
        {
          _pd_store_set_error (store, rc, error);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
import_sample (PdStore      *store,
               PdRecord     *partner,
               GBytes       *bytes,
               const char   *file_name,
               PdImportMode  mode,
               const char   *at,
               GError      **error)
{
  g_autoptr(PdImportResult) result = NULL;
  PdImportOptions options;

  pd_import_options_init (&options);
  options.mode = mode;
  options.file_name = file_name;
  options.termination_date = "2024-02-29";
  options.flags = PD_IMPORT_FLAG_CONFIRM_GUARD | PD_IMPORT_FLAG_CONFIRM_DUPLICATE;
  result = _pd_import_run_on_store (store, pd_record_get_id (partner), NULL, bytes, &options,
                                    NULL, NULL, NULL, error);
  return result && backdate_upload (store, result->upload_id, at, error);
}

static gboolean
add_people (PdStore   *store,
            PdRecord  *partner,
            guint      index,
            GError   **error)
{
  const SamplePartner *p = &partners[index];
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242 + index);
  g_autoptr(GArray) people = sample_people (p, rand);
  g_autoptr(GBytes) first = census_bytes (p, people, FALSE, rand);
  g_autoptr(GBytes) second = census_bytes (p, people, TRUE, rand);
  g_autofree char *slug = ascii_slug (p->name, "-");
  g_autofree char *first_name = g_strdup_printf ("%s-census-2024-01.csv", slug);
  g_autofree char *second_name = g_strdup_printf ("%s-changes-2024-03.csv", slug);

  return import_sample (store, partner, first, first_name, PD_IMPORT_MODE_FULL,
                        "2024-01-08T09:12:00Z", error)
         && import_sample (store, partner, second, second_name, PD_IMPORT_MODE_INCREMENTAL,
                           "2024-03-04T10:40:00Z", error);
}

static gboolean
load_cb (PdStore   *store,
         gpointer   user_data,
         GError   **error)
{
  const char *ids[G_N_ELEMENTS (institutions) + 1] = { NULL };
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < G_N_ELEMENTS (institutions); i++)
    {
      PdRecord *institution = pd_record_new (&pd_institution_type);

      g_ptr_array_add (keep, institution);
      pd_record_set_string (institution, "name", institutions[i].name);
      pd_record_set_string (institution, "address", institutions[i].address);
      if (!pd_store_save (store, institution, error))
        return FALSE;
      ids[i] = pd_record_get_id (institution);
    }
  for (guint i = 0; i < G_N_ELEMENTS (partners); i++)
    {
      g_autoptr(PdRecord) partner = sample_partner (store, i, ids);

      if (!pd_store_save (store, partner, error))
        return FALSE;
      if (g_str_equal (pd_record_get_string (partner, "status"), "active")
          && !add_portal_users (store, partner, i, error))
        return FALSE;
      if (g_str_equal (partners[i].kind, "employer") && !add_people (store, partner, i, error))
        return FALSE;
    }
  /* Issue 4: examinations, prices, activations, benefits, rate history, bookings. */
  return _pd_sample_commerce_load (store, ids, error);
}

gboolean
pd_sample_data_load (PdStore  *store,
                     GError  **error)
{
  g_return_val_if_fail (PD_IS_STORE (store), FALSE);

  if (pd_store_count (store, &pd_partner_type) > 0
      || pd_store_count (store, &pd_institution_type) > 0)
    {
      g_set_error_literal (error, PD_ERROR, PD_ERROR_NOT_EMPTY,
                           _("Sample data can only be loaded into an empty database."));
      return FALSE;
    }
  if (!pd_store_transaction (store, load_cb, NULL, error))
    return FALSE;
  /* Bookings are written in bulk, without ::record-changed each. */
  pd_store_notify_collection_changed (store, "booking", NULL);
  return TRUE;
}

/* Generated partners for benchmarks */

static const char *const gen_first[] = {
  "Alder", "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris",
  "Juniper", "Kestrel", "Linden", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quarry",
  "Riverbend", "Summit", "Timber", "Upland", "Vantage", "Willow", "Zenith", "Aurora",
  "Birch", "Coastal", "Drift", "Evergreen", "Fjord",
};

static const char *const gen_second[] = {
  "Logistics", "Foods", "Software", "Textiles", "Robotics", "Freight", "Pharma",
  "Hotels", "Printing", "Energy", "Insurance", "Retail", "Media", "Chemicals",
  "Engineering", "Bakery", "Tooling", "Motors", "Analytics", "Healthcare",
};

static const char *const gen_form[] = {
  "GmbH", "AG", "Ltd", "KG", "B.V.", "plc", "SE", "GmbH & Co. KG",
};

static const char *const gen_cities[][2] = {
  { "Hamburg", "Hamburg" }, { "Berlin", "Berlin" }, { "Munich", "Bavaria" },
  { "Cologne", "North Rhine-Westphalia" }, { "Leipzig", "Saxony" },
  { "Stuttgart", "Baden-Württemberg" }, { "Hanover", "Lower Saxony" },
  { "Manchester", "Greater Manchester" }, { "Leeds", "West Yorkshire" },
  { "Rotterdam", "South Holland" },
};

typedef struct {
  guint  n;
  guint  base;
} AddPartners;

static PdRecord *
generated_partner (PdStore *store,
                   guint    k)
{
  guint combos = G_N_ELEMENTS (gen_first) * G_N_ELEMENTS (gen_second) * G_N_ELEMENTS (gen_form);
  const char *first = gen_first[k % G_N_ELEMENTS (gen_first)];
  const char *second = gen_second[(k / G_N_ELEMENTS (gen_first)) % G_N_ELEMENTS (gen_second)];
  const char *form = gen_form[(k / (G_N_ELEMENTS (gen_first) * G_N_ELEMENTS (gen_second)))
                              % G_N_ELEMENTS (gen_form)];
  g_autofree char *name = k < combos ? g_strdup_printf ("%s %s %s", first, second, form)
                                     : g_strdup_printf ("%s %s %u %s", first, second,
                                                        k / combos + 1, form);
  g_autofree char *rep = person_name (k);
  g_autofree char *slug = ascii_slug (name, "-");
  g_autofree char *domain = g_strdup_printf ("%s.example", slug);
  g_autofree char *rep_email = person_email (rep, domain);
  PdRecord *record = pd_record_new (&pd_partner_type);

  pd_record_set_string (record, "kind", k % 7 == 0 ? "clinic"
                                        : (k % 11 == 0 ? "intermediary" : "employer"));
  pd_record_set_string (record, "name", name);
  pd_record_set_string (record, "industry", second);
  pd_record_set_int (record, "employee_count", 10 + (k * 37) % 5000);
  pd_record_set_string (record, "hq_city", gen_cities[k % G_N_ELEMENTS (gen_cities)][0]);
  pd_record_set_string (record, "hq_state", gen_cities[k % G_N_ELEMENTS (gen_cities)][1]);
  pd_record_set_string (record, "rep_name", rep);
  pd_record_set_string (record, "rep_email", rep_email);
  pd_record_set_string (record, "owner_id", pd_store_get_local_user_id (store));
  pd_record_set_string (record, "commission_mode", "percentage");
  pd_record_set_int (record, "commission_percent", 500 + (k % 20) * 50);
  set_status (record, k);
  return record;
}

static gboolean
add_partners_cb (PdStore   *store,
                 gpointer   user_data,
                 GError   **error)
{
  AddPartners *add = user_data;
  guint k = add->base;

  for (guint i = 0; i < add->n; i++, k++)
    {
      g_autoptr(PdRecord) partner = generated_partner (store, k);
      g_autoptr(GHashTable) errors = pd_store_validate (store, partner);

      /* Skip names that an earlier call or the user already took. */
      while (g_hash_table_contains (errors, "name"))
        {
          g_clear_object (&partner);
          g_clear_pointer (&errors, g_hash_table_unref);
          partner = generated_partner (store, ++k);
          errors = pd_store_validate (store, partner);
        }
      if (!pd_store_save (store, partner, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pd_sample_data_add_partners (PdStore  *store,
                             guint     n,
                             GError  **error)
{
  AddPartners add = { n, 0 };

  g_return_val_if_fail (PD_IS_STORE (store), FALSE);

  add.base = (guint) pd_store_count (store, &pd_partner_type);
  return pd_store_transaction (store, add_partners_cb, &add, error);
}

