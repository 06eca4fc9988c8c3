//! `custos bench customers`: a provider's whole customer base in the store, screened again
//! when a list changes, and certified.
//!
//! A fresh SQLite file or PostgreSQL database is seeded with generated customers (individuals
//! of many countries, some with their names as written in their own script, and entities with
//! one to three owners, each with its accounts), stored as every record is: sealed under its
//! own data key, with its blind indexes and summary. Then, as in production:
//!
//! 1. OFAC's SDN list and the UN's consolidated list are published (the files of the peer
//!    data) and every customer is screened against them (`custos lists rescreen`): the first
//!    screening, which opens the cases;
//! 2. a new version of the SDN list, a hundredth of its entries fewer, is published and every
//!    customer screened again: what each new list version triggers;
//! 3. the CIP certification is generated over the same store.
//!
//! Each is timed end to end through the application layer and the store. Where the time of a
//! re-screening goes is measured beside it: reading and decrypting every page of customers,
//! and screening every name in memory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use custos_app::lists::{Publication, Published};
use custos_app::service::{CustomerPages, new_id};
use custos_app::{Actor, App as Service, system_clock};
use custos_core::customer::BeneficialOwner;
use custos_core::{
    AccountKind, Address, CipPolicy, Country, Customer, CustomerId, CustomerProfile, Entity,
    Individual, Offering, SubjectId,
};
use custos_screen::import::{Format, import};
use custos_screen::{EntityKind, ListEntity};
use custos_store::Store;
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: crate::bench::StoreArgs,
    /// Customers seeded.
    #[arg(long, default_value_t = 1_000_000)]
    customers: usize,
    /// Where the real lists are (watchman/test/testdata/sdn.csv and UN_consolidated.xml).
    #[arg(long, env = "CUSTOS_PEER_DATA", default_value = "../shared/peer-data")]
    peer_data: PathBuf,
    /// One customer in this many individuals bears a listed person's name.
    #[arg(long, default_value_t = 2_000)]
    planted_every: usize,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    backend: String,
    customers: usize,
    subjects: usize,
    accounts: usize,
    seed_seconds: f64,
    list_entries: usize,
    /// The first screening against both lists.
    first_screening_seconds: f64,
    first_new_cases: usize,
    /// The screening a new SDN version triggers.
    rescreening_seconds: f64,
    rescreening_new_cases: usize,
    rescreening_resolved_cases: usize,
    /// Reading and decrypting every customer, a page at a time, alone.
    read_seconds: f64,
    /// Screening every subject's name in memory on one thread, alone.
    screen_one_thread_seconds: f64,
    certification_seconds: f64,
    certified_customers: u64,
    cores: usize,
    cpu: String,
}

/// A small deterministic generator: two runs seed the same customers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
    fn chance(&mut self, per_thousand: usize) -> bool {
        self.below(1000) < per_thousand
    }
}

/// A country's names: given names, family names, cities, a street word, the legal forms of
/// its companies, and how many in a thousand of its customers give their names in their own
/// script (with those names).
struct People {
    country: &'static str,
    /// How many in a hundred customers come from there.
    share: usize,
    given: &'static [&'static str],
    family: &'static [&'static str],
    cities: &'static [&'static str],
    street: &'static str,
    forms: &'static [&'static str],
    /// Family name first (East Asia, Hungary).
    family_first: bool,
    native: Option<(usize, &'static [&'static str], &'static [&'static str])>,
}

const PEOPLE: &[People] = &[
    People {
        country: "US",
        share: 30,
        given: &[
            "James",
            "Mary",
            "Robert",
            "Patricia",
            "John",
            "Jennifer",
            "Michael",
            "Linda",
            "David",
            "Elizabeth",
            "William",
            "Barbara",
            "Richard",
            "Susan",
            "Joseph",
            "Jessica",
            "Thomas",
            "Sarah",
            "Christopher",
            "Karen",
            "Daniel",
            "Emily",
            "Matthew",
            "Ashley",
        ],
        family: &[
            "Smith",
            "Johnson",
            "Williams",
            "Brown",
            "Jones",
            "Garcia",
            "Miller",
            "Davis",
            "Rodriguez",
            "Martinez",
            "Hernandez",
            "Lopez",
            "Wilson",
            "Anderson",
            "Thomas",
            "Taylor",
            "Moore",
            "Jackson",
            "Martin",
            "Lee",
            "Thompson",
            "White",
            "Harris",
            "Clark",
        ],
        cities: &[
            "Austin", "Denver", "Columbus", "Portland", "Raleigh", "Phoenix",
        ],
        street: "Main Street",
        forms: &["LLC", "Inc.", "Corp."],
        family_first: false,
        native: None,
    },
    People {
        country: "GB",
        share: 6,
        given: &[
            "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Charlie",
            "Grace", "Alfie", "Freya",
        ],
        family: &[
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Davies",
            "Roberts", "Walker", "Wright", "Hughes",
        ],
        cities: &["Leeds", "Bristol", "Manchester", "Glasgow"],
        street: "High Street",
        forms: &["Ltd", "LLP", "plc"],
        family_first: false,
        native: None,
    },
    People {
        country: "DE",
        share: 6,
        given: &[
            "Lukas",
            "Anna",
            "Jonas",
            "Lea",
            "Felix",
            "Lena",
            "Maximilian",
            "Hannah",
            "Paul",
            "Sophie",
            "Jürgen",
            "Birgit",
        ],
        family: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
        ],
        cities: &["Berlin", "Hamburg", "München", "Köln", "Leipzig"],
        street: "Hauptstraße",
        forms: &["GmbH", "AG", "UG (haftungsbeschränkt)"],
        family_first: false,
        native: None,
    },
    People {
        country: "FR",
        share: 4,
        given: &[
            "Gabriel", "Louise", "Léo", "Jade", "Raphaël", "Ambre", "Arthur", "Chloé", "Hugo",
            "Inès",
        ],
        family: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau",
        ],
        cities: &["Lyon", "Marseille", "Toulouse", "Nantes"],
        street: "rue de la République",
        forms: &["SARL", "SAS", "SA"],
        family_first: false,
        native: None,
    },
    People {
        country: "BR",
        share: 5,
        given: &[
            "Miguel",
            "Alice",
            "Arthur",
            "Sophia",
            "Heitor",
            "Helena",
            "Bernardo",
            "Valentina",
            "Davi",
            "Laura",
            "João",
            "Ana",
        ],
        family: &[
            "Silva",
            "Santos",
            "Oliveira",
            "Souza",
            "Rodrigues",
            "Ferreira",
            "Alves",
            "Pereira",
            "Lima",
            "Gomes",
            "Costa",
            "Ribeiro",
        ],
        cities: &["São Paulo", "Rio de Janeiro", "Curitiba", "Recife"],
        street: "Rua das Flores",
        forms: &["Ltda.", "S.A.", "EIRELI"],
        family_first: false,
        native: None,
    },
    People {
        country: "MX",
        share: 3,
        given: &[
            "Santiago",
            "Sofía",
            "Mateo",
            "Regina",
            "Sebastián",
            "Valeria",
            "Leonardo",
            "Camila",
        ],
        family: &[
            "Hernández",
            "García",
            "Martínez",
            "López",
            "González",
            "Pérez",
            "Rodríguez",
            "Sánchez",
            "Ramírez",
            "Flores",
        ],
        cities: &["Guadalajara", "Monterrey", "Puebla", "Ciudad de México"],
        street: "Avenida Juárez",
        forms: &["S.A. de C.V.", "S. de R.L."],
        family_first: false,
        native: None,
    },
    People {
        country: "IN",
        share: 8,
        given: &[
            "Aarav", "Saanvi", "Vihaan", "Ananya", "Arjun", "Diya", "Rahul", "Priya", "Amit",
            "Pooja", "Sanjay", "Kavya",
        ],
        family: &[
            "Sharma", "Verma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Iyer", "Nair", "Das",
            "Mehta", "Joshi",
        ],
        cities: &["Bengaluru", "Pune", "Hyderabad", "Chennai", "Mumbai"],
        street: "MG Road",
        forms: &["Pvt Ltd", "LLP", "Ltd"],
        family_first: false,
        native: Some((
            100,
            &["आरव", "साक्षी", "राहुल", "प्रिया", "अमित", "संजय"],
            &["शर्मा", "वर्मा", "पटेल", "गुप्ता", "सिंह", "कुमार"],
        )),
    },
    People {
        country: "CN",
        share: 6,
        given: &[
            "Wei", "Fang", "Jing", "Lei", "Min", "Jun", "Yan", "Tao", "Xiaoming", "Lina", "Hao",
            "Yuxuan",
        ],
        family: &[
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
            "Sun",
        ],
        cities: &["Shenzhen", "Hangzhou", "Chengdu", "Shanghai"],
        street: "Renmin Road",
        forms: &["Co., Ltd.", "Technology Co., Ltd."],
        family_first: true,
        native: Some((
            300,
            &[
                "伟", "芳", "静", "磊", "敏", "军", "艳", "涛", "晓明", "丽娜",
            ],
            &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"],
        )),
    },
    People {
        country: "RU",
        share: 4,
        given: &[
            "Alexander",
            "Elena",
            "Dmitry",
            "Olga",
            "Sergey",
            "Natalia",
            "Andrei",
            "Irina",
            "Mikhail",
            "Tatiana",
        ],
        family: &[
            "Ivanov",
            "Smirnov",
            "Kuznetsov",
            "Popov",
            "Vasiliev",
            "Petrov",
            "Sokolov",
            "Mikhailov",
            "Novikov",
            "Fedorov",
        ],
        cities: &["Moscow", "Kazan", "Novosibirsk", "Yekaterinburg"],
        street: "Lenina",
        forms: &["OOO", "AO"],
        family_first: false,
        native: Some((
            300,
            &[
                "Александр",
                "Елена",
                "Дмитрий",
                "Ольга",
                "Сергей",
                "Наталья",
            ],
            &[
                "Иванов",
                "Смирнов",
                "Кузнецов",
                "Попов",
                "Васильев",
                "Петров",
            ],
        )),
    },
    People {
        country: "NG",
        share: 3,
        given: &[
            "Chinedu",
            "Ngozi",
            "Oluwaseun",
            "Aisha",
            "Emeka",
            "Funmilayo",
            "Ibrahim",
            "Amaka",
        ],
        family: &[
            "Okafor", "Adeyemi", "Okonkwo", "Bello", "Eze", "Abubakar", "Nwosu", "Ogunleye",
        ],
        cities: &["Lagos", "Abuja", "Ibadan"],
        street: "Broad Street",
        forms: &["Ltd", "Plc"],
        family_first: false,
        native: None,
    },
    People {
        country: "KR",
        share: 3,
        given: &[
            "Minjun", "Seoyeon", "Jiho", "Jiwoo", "Hyunwoo", "Yuna", "Dohyun", "Soyeon",
        ],
        family: &["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"],
        cities: &["Seoul", "Busan", "Incheon"],
        street: "Teheran-ro",
        forms: &["Co., Ltd.", "Inc."],
        family_first: true,
        native: Some((
            300,
            &["민준", "서연", "지호", "지우", "현우", "유나"],
            &["김", "이", "박", "최", "정", "강"],
        )),
    },
    People {
        country: "JP",
        share: 3,
        given: &[
            "Haruto", "Yui", "Sota", "Hina", "Yuto", "Aoi", "Ren", "Sakura",
        ],
        family: &[
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
        ],
        cities: &["Tokyo", "Osaka", "Fukuoka"],
        street: "Chuo-dori",
        forms: &["K.K.", "Co., Ltd."],
        family_first: true,
        native: Some((
            200,
            &["太郎", "花子", "翔太", "陽菜", "大輔", "美咲"],
            &["佐藤", "鈴木", "高橋", "田中", "渡辺", "山本"],
        )),
    },
    People {
        country: "AE",
        share: 3,
        given: &[
            "Mohammed", "Fatima", "Ahmed", "Mariam", "Omar", "Aisha", "Khalid", "Noura", "Ali",
            "Hassan",
        ],
        family: &[
            "Al Mansoori",
            "Al Hashimi",
            "Al Nuaimi",
            "Al Shamsi",
            "Haddad",
            "Khoury",
            "Rahman",
            "Saleh",
        ],
        cities: &["Dubai", "Abu Dhabi", "Sharjah"],
        street: "Sheikh Zayed Road",
        forms: &["FZE", "LLC", "FZCO"],
        family_first: false,
        native: Some((
            200,
            &["محمد", "فاطمة", "أحمد", "مريم", "عمر", "خالد"],
            &["المنصوري", "الهاشمي", "النعيمي", "الشامسي", "حداد", "صالح"],
        )),
    },
    People {
        country: "TR",
        share: 3,
        given: &[
            "Yusuf", "Zeynep", "Eymen", "Elif", "Mustafa", "Ayşe", "Emre", "Fatma",
        ],
        family: &[
            "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk",
        ],
        cities: &["İstanbul", "Ankara", "İzmir"],
        street: "Atatürk Caddesi",
        forms: &["A.Ş.", "Ltd. Şti."],
        family_first: false,
        native: None,
    },
    People {
        country: "UA",
        share: 3,
        given: &[
            "Oleksandr",
            "Olena",
            "Andriy",
            "Iryna",
            "Volodymyr",
            "Kateryna",
            "Taras",
        ],
        family: &[
            "Melnyk",
            "Shevchenko",
            "Bondarenko",
            "Kovalenko",
            "Tkachenko",
            "Kravchenko",
        ],
        cities: &["Kyiv", "Lviv", "Kharkiv", "Odesa"],
        street: "Khreshchatyk",
        forms: &["TOV", "PP"],
        family_first: false,
        native: None,
    },
    People {
        country: "PL",
        share: 3,
        given: &[
            "Jakub",
            "Zuzanna",
            "Antoni",
            "Julia",
            "Jan",
            "Maja",
            "Wojciech",
            "Agnieszka",
        ],
        family: &[
            "Nowak",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kowalczyk",
            "Kamiński",
        ],
        cities: &["Warszawa", "Kraków", "Wrocław", "Gdańsk"],
        street: "ul. Marszałkowska",
        forms: &["sp. z o.o.", "S.A."],
        family_first: false,
        native: None,
    },
    People {
        country: "VN",
        share: 3,
        given: &[
            "Anh", "Linh", "Minh", "Trang", "Duc", "Huong", "Tuan", "Thao",
        ],
        family: &["Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui"],
        cities: &["Hanoi", "Ho Chi Minh City", "Da Nang"],
        street: "Le Loi",
        forms: &["JSC", "Co., Ltd."],
        family_first: true,
        native: None,
    },
    People {
        country: "ID",
        share: 3,
        given: &[
            "Budi", "Siti", "Agus", "Dewi", "Eko", "Putri", "Rizky", "Ayu",
        ],
        family: &[
            "Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Susanto",
        ],
        cities: &["Jakarta", "Surabaya", "Bandung"],
        street: "Jalan Sudirman",
        forms: &["PT", "CV"],
        family_first: false,
        native: None,
    },
];

/// The words of company names, before the legal form.
const TRADES: &[&str] = &[
    "Hosting",
    "Cloud",
    "Data",
    "Networks",
    "Digital",
    "Compute",
    "Systems",
    "Labs",
    "Media",
    "Software",
    "Analytics",
    "Logistics",
    "Trading",
    "Consulting",
    "Games",
    "AI",
];

fn people(rng: &mut Rng) -> &'static People {
    let total: usize = PEOPLE.iter().map(|p| p.share).sum();
    let mut at = rng.below(total);
    for p in PEOPLE {
        if at < p.share {
            return p;
        }
        at -= p.share;
    }
    &PEOPLE[0]
}

/// A person of `p`: in their own script now and then, with a middle name now and then.
fn individual(rng: &mut Rng, p: &People, planted: Option<&str>) -> Individual {
    let (given, family, sep) = match p.native {
        Some((per, given, family)) if rng.chance(per) => {
            let sep = if matches!(p.country, "CN" | "JP" | "KR") {
                ""
            } else {
                " "
            };
            (rng.pick(given).to_owned(), rng.pick(family).to_owned(), sep)
        }
        _ => {
            let mut g = rng.pick(p.given).to_owned();
            if !p.family_first && rng.chance(200) {
                g = format!("{g} {}", rng.pick(p.given));
            }
            (g, rng.pick(p.family).to_owned(), " ")
        }
    };
    let full = match planted {
        Some(name) => name.to_owned(),
        None if p.family_first => format!("{family}{sep}{given}"),
        None => format!("{given} {family}"),
    };
    let country = Country::parse(p.country).expect("the table's countries are valid");
    let year = 1945 + rng.below(60) as i32;
    let born = NaiveDate::from_ymd_opt(year, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32);
    Individual {
        full_name: full,
        given_names: planted.is_none().then_some(given),
        family_name: planted.is_none().then_some(family),
        date_of_birth: born,
        citizenships: vec![country.clone()],
        us_lawful_permanent_resident: false,
        residence: Some(Address {
            line1: format!("{} {}", 1 + rng.below(400), p.street),
            line2: None,
            city: rng.pick(p.cities).to_owned(),
            region: None,
            postal_code: Some(format!("{:05}", rng.below(100_000))),
            country,
        }),
        national_ids: vec![],
    }
}

/// The `i`th customer: nine in ten individuals, one in ten an entity with one to three
/// owners; one individual in `planted_every` bears a listed person's name. Its accounts:
/// mostly one paid account, some a trial too; a few entities are resellers.
fn customer(
    rng: &mut Rng,
    policy: &CipPolicy,
    planted: &[&str],
    planted_every: usize,
) -> Result<(Customer, Vec<(AccountKind, Offering)>)> {
    let p = people(rng);
    let now = Utc::now();
    let id = CustomerId::parse(&new_id(CustomerId::PREFIX))?;
    let (profile, owners) = if rng.below(10) < 9 {
        let plant = (!planted.is_empty() && rng.below(planted_every) == 0)
            .then(|| planted[rng.below(planted.len())]);
        (
            CustomerProfile::Individual(individual(rng, p, plant)),
            vec![],
        )
    } else {
        let name = format!(
            "{} {} {}",
            rng.pick(p.family),
            rng.pick(TRADES),
            rng.pick(p.forms)
        );
        let owners = (0..1 + rng.below(3))
            .map(|_| {
                let o = people(rng);
                BeneficialOwner {
                    person: individual(rng, o, None),
                    ownership_percent: Some(25.0 + rng.below(50) as f64),
                    substantial_control: false,
                    title: None,
                }
            })
            .collect::<Vec<_>>();
        (
            CustomerProfile::Entity(Entity {
                legal_name: name,
                jurisdiction: Country::parse(p.country)?,
                jurisdiction_subdivision: None,
                registration_number: Some(format!("{:08}", rng.below(100_000_000))),
                lei: None,
                addresses: vec![],
            }),
            owners,
        )
    };
    let entity = matches!(profile, CustomerProfile::Entity(_));
    let subjects = (0..=owners.len())
        .map(|_| SubjectId::parse(&new_id(SubjectId::PREFIX)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let c = Customer::new(id, now, profile, owners, subjects, None, policy)?;
    let mut accounts = vec![(AccountKind::Direct, Offering::Paid)];
    if rng.chance(100) {
        accounts.push((AccountKind::Direct, Offering::Trial));
    }
    if entity && rng.chance(50) {
        accounts.push((AccountKind::Reseller, Offering::Paid));
    }
    Ok((c, accounts))
}

fn bar(n: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{what} {{bar:40}} {{pos}}/{{len}} ({{per_sec}}, {{eta}} left)"
    )) {
        bar.set_style(style);
    }
    bar
}

fn publication(list: &str, format: Format, path: &std::path::Path) -> Publication {
    Publication {
        list: list.into(),
        format: format.name().into(),
        source: path.display().to_string(),
        measure: Default::default(),
        allow_shrink: false,
        name_guessed: false,
        based_on: None,
    }
}

async fn publish(
    svc: &Service,
    list: &str,
    entities: Vec<ListEntity>,
    p: Publication,
) -> Result<()> {
    match svc.publish_entities(entities, p).await? {
        Published::Saved { .. } => Ok(()),
        other => bail!("the {list} list was not published: {other:?}"),
    }
}

pub async fn run(a: Args) -> Result<()> {
    if a.customers == 0 || a.planted_every == 0 {
        bail!("--customers and --planted-every must be at least 1");
    }
    a.store.check()?;
    let sdn_path = a.peer_data.join("watchman/test/testdata/sdn.csv");
    let un_path = a
        .peer_data
        .join("watchman/test/testdata/UN_consolidated.xml");
    let sdn = import(Format::OfacCsv, &sdn_path)
        .with_context(|| format!("cannot read {}", sdn_path.display()))?;
    let un = import(Format::UnXml, &un_path)
        .with_context(|| format!("cannot read {}", un_path.display()))?;
    let planted: Vec<String> = sdn
        .iter()
        .chain(&un)
        .filter(|e| e.kind == EntityKind::Person)
        .filter_map(|e| e.names.first().map(|n| n.value.clone()))
        .collect();
    let planted: Vec<&str> = planted.iter().map(String::as_str).collect();

    let dir = tempfile::tempdir()?;
    let (store, scratch) = a.store.open(dir.path()).await?;
    store.migrate().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let policy = Arc::new(CipPolicy::default());
    let svc = Service::new(store.clone(), policy.clone(), system_clock());
    let actor = Actor {
        id: "bench".into(),
        role: "admin".into(),
    };
    let result = measure(&a, &svc, &actor, &policy, &planted, sdn, un).await;
    scratch.drop_db().await;
    let report = result?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: {} customers ({} subjects, {} accounts) seeded in {:.0} s; {} list entries\n\
             first screening {:.1} s ({} new cases); re-screening after a new SDN version \
             {:.1} s ({} new, {} resolved)\n\
             of which reading and decrypting alone {:.1} s, screening every name on one \
             thread alone {:.1} s\n\
             certification {:.1} s ({} customers with open accounts); {} cores, {}",
            report.backend,
            report.customers,
            report.subjects,
            report.accounts,
            report.seed_seconds,
            report.list_entries,
            report.first_screening_seconds,
            report.first_new_cases,
            report.rescreening_seconds,
            report.rescreening_new_cases,
            report.rescreening_resolved_cases,
            report.read_seconds,
            report.screen_one_thread_seconds,
            report.certification_seconds,
            report.certified_customers,
            report.cores,
            report.cpu,
        );
    }
    Ok(())
}

async fn measure(
    a: &Args,
    svc: &Service,
    actor: &Actor,
    policy: &CipPolicy,
    planted: &[&str],
    sdn: Vec<ListEntity>,
    un: Vec<ListEntity>,
) -> Result<Report> {
    let store = svc.store();
    // Seeding: batches of customers generated on this thread and stored in one write each.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let seeding = bar(a.customers, "seeding");
    let (mut subjects, mut accounts) = (0, 0);
    let mut left = a.customers;
    while left > 0 {
        let n = left.min(2_000);
        let batch = (0..n)
            .map(|_| customer(&mut rng, policy, planted, a.planted_every))
            .collect::<Result<Vec<_>>>()?;
        subjects += batch.iter().map(|(c, _)| c.subjects.len()).sum::<usize>();
        accounts += batch.iter().map(|(_, k)| k.len()).sum::<usize>();
        svc.import_customers(batch).await?;
        left -= n;
        seeding.inc(n as u64);
    }
    seeding.finish_and_clear();
    let seed_seconds = started.elapsed().as_secs_f64();

    let list_entries = sdn.len() + un.len();
    let mut sdn_next = sdn.clone();
    // The next SDN version: every hundredth entry delisted.
    let mut k = 0;
    sdn_next.retain(|_| {
        k += 1;
        k % 100 != 0
    });
    let sdn_path = a.peer_data.join("watchman/test/testdata/sdn.csv");
    let un_path = a
        .peer_data
        .join("watchman/test/testdata/UN_consolidated.xml");
    publish(
        svc,
        "ofac-sdn",
        sdn,
        publication("ofac-sdn", Format::OfacCsv, &sdn_path),
    )
    .await?;
    publish(svc, "un", un, publication("un", Format::UnXml, &un_path)).await?;

    let rescreen = |what: &'static str| async move {
        let b = bar(a.customers, what);
        let t = Instant::now();
        let r = svc.rescreen_all(actor, |n| b.set_position(n)).await?;
        b.finish_and_clear();
        anyhow::Ok((t.elapsed().as_secs_f64(), r))
    };
    let (first_screening_seconds, first) = rescreen("screening").await?;
    publish(
        svc,
        "ofac-sdn",
        sdn_next,
        publication("ofac-sdn", Format::OfacCsv, &sdn_path),
    )
    .await?;
    let (rescreening_seconds, again) = rescreen("re-screening").await?;

    // Where the time goes: every page read and decrypted, alone; every name screened on one
    // thread, alone.
    let t = Instant::now();
    let mut pages = CustomerPages::default();
    let mut loaded = vec![];
    while let Some(ids) = pages.next(store.as_ref()).await? {
        loaded.extend(pages.load(store.as_ref(), &ids).await?);
    }
    let read_seconds = t.elapsed().as_secs_f64();
    let lists = svc.screener().await?.context("the lists were published")?;
    let t = Instant::now();
    for l in &loaded {
        std::hint::black_box(custos_app::screening::findings(
            &l.customer.value,
            &lists.0,
            &policy.screening.confirming_links,
            Utc::now().date_naive(),
        ));
    }
    let screen_one_thread_seconds = t.elapsed().as_secs_f64();
    drop(loaded);

    svc.put_program_profile(&crate::bench_customers::profile(), actor)
        .await?;
    let t = Instant::now();
    let cert = svc.certification(false, actor).await?;
    let certification_seconds = t.elapsed().as_secs_f64();

    Ok(Report {
        backend: a.store.backend.clone(),
        customers: a.customers,
        subjects,
        accounts,
        seed_seconds,
        list_entries,
        first_screening_seconds,
        first_new_cases: first.new.len(),
        rescreening_seconds,
        rescreening_new_cases: again.new.len(),
        rescreening_resolved_cases: again.resolved.len(),
        read_seconds,
        screen_one_thread_seconds,
        certification_seconds,
        certified_customers: cert.customers.total,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu: crate::bench::cpu_model(),
    })
}

fn profile() -> custos_app::report::ProgramProfile {
    custos_app::report::ProgramProfile {
        provider_name: "Bench Cloud LLC".into(),
        provider_address: Some("1 Example Way, Reston, VA 20190, United States".into()),
        cip_contact: custos_app::report::CipContact {
            name: "Dana Whitfield".into(),
            title: Some("CIP officer".into()),
            email: "cip@bench-cloud.example".into(),
            phone: None,
        },
        detection_resources: vec!["24x7 abuse desk".into()],
        reseller_oversight: "Foreign resellers give their CIP yearly.".into(),
        verification_notes: None,
    }
}
