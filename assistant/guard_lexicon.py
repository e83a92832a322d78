"""Data for the guard: the core concepts of a personal-information request in other languages.

Each entry maps an English gloss to the words that carry the same concept elsewhere, so that one set of English
rules reads every language: "Wie heißen die Sexualstraftäter" is read as "who is names sex offenders". Latin-script
words are matched on lower-cased, accent-free text at a word start (so a stem covers its inflections); words in
other scripts are matched anywhere. Coverage: French, Spanish, Portuguese, Italian, German, Dutch, Scandinavian,
Polish, Czech/Slovak, Hungarian, Lithuanian, Romanian, Turkish, Welsh (with its mutations), Irish, Russian/Ukrainian,
Greek, Arabic, Farsi, Urdu/Hindi (both scripts and romanised), Punjabi, Bengali, Somali, Swahili, Tagalog,
Vietnamese, Chinese, Japanese, Korean.
"""

from __future__ import annotations

GLOSS: dict[str, tuple[str, ...]] = {
    "sex offenders": (
        r"delinquants? sexuels?", r"agresseurs? sexuels?", r"delincuentes? sexual(?:es)?",
        r"agresor(?:es)? sexual(?:es)?", r"agressor(?:es)? sexua(?:l|is)", r"criminosos? sexua(?:l|is)",
        r"delinquent[ei] sessual[ei]", r"autori? di reati sessuali",
        r"sexual(?:straf)?tater\w*", r"zedendelinquent\w*", r"seksuele delinquent\w*", r"sexualforbryt\w*",
        r"seksualforbryt\w*", r"przestepc\w* seksual\w*", r"sprawc\w* przestepstw seksual\w*",
        r"infractor\w* sexual\w*", r"agresor\w* sexual\w*", r"cinsel sucl\w*", r"cinsel saldirgan\w*",
        r"(?:t|d|nh)roseddw\w* rhyw", r"ciontoir\w* gnéas", r"seks\w* prestup\w*",
        "сексуальн\\w* преступ", "насильник", "педофил", "σεξουαλικ",
        "مرتكبي الجرائم الجنسية", "مجرم جنسي", "المجرمين الجنسيين", "جنسی مجرم", "جنسی جرائم",
        "यौन अपराधी", "यौन अपराधियों", "ਜਿਨਸੀ ਅਪਰਾਧੀ", "যৌন অপরাধী", "性犯罪", "性侵", "성범죄",
        r"sexualn\w* (?:delikvent|pachatel|nasilnik)\w*", r"szexualis bunoz\w*", r"seksualin\w* nusikalt\w*",
        r"pham toi tinh duc", r"dambiil\w* galmo\w*", "مجرم جنسی",
        r"(?:mtenda|wahalifu|mhalifu) (?:wa |makosa ya )?ngono", r"nagkasala sa sekswal",
    ),
    "offenders": (
        r"delinquants?", r"delincuentes?", r"criminales", r"criminosos?", r"delinquent[ei]", r"straftater\w*",
        r"tater\b", r"daders?", r"przestepc\w*", r"sprawc\w*", r"infractori?", r"suclu\w*", r"(?:t|d|nh)roseddw\w*",
        r"pedof\w*", r"paedof\w*", r"mujrim", r"apradhi",
        "преступник", "злочин", "مجرم", "مجرمين", "अपराधी", "ਅਪਰਾਧੀ", "অপরাধী", "罪犯", "犯罪者", "범죄자",
        r"delikvent\w*", r"pachatel\w*", r"bunoz\w*", r"nusikalt\w*", r"toi pham", r"dambiil\w*",
        r"wahalifu", r"mhalifu", r"nagkasala",
    ),
    "register": (
        r"registre", r"registro", r"registr(?:iert|ierte|ierten)", r"registrad[oa]s?", r"registrat[ie]?",
        r"registrert\w*", r"registrerad\w*", r"geregistreerd\w*", r"inscrit\w*", r"rejestr\w*", r"wpisan\w*",
        r"registr(?:u|ul|ului)", r"inregistrat\w*", r"sicil\w*", r"kayitli\w*", r"cofrestr\w*", r"gofrestr\w*",
        r"chofrestr\w*", r"nghofrestr\w*", r"clar(?:u|aithe)", r"rajistar", r"register par",
        "реестр", "регистр", "μητρώ", "سجل", "المسجلين", "مسجل", "رجسٹر", "रजिस्टर", "पंजीकृत", "ਰਜਿਸਟਰ",
        "রেজিস্টার", "登记", "登記", "名册", "名單", "名单", "登録", "등록",
        r"registr\w*", r"rejstrik\w*", r"nyilvantart\w*", r"dang ky", r"diiwaan\w*",
        r"rehistro", r"sajili", r"orodha",
    ),
    "names": (
        r"noms?", r"nombres?", r"nomes?", r"nomi", r"namen", r"heissen", r"heisst", r"naam", r"namn", r"navn",
        r"imi(?:e|ona)", r"nazwisk\w*", r"nume(?:le)?", r"numest[ei]", r"isim\w*", r"isimler\w*", r"adlari\w*",
        r"enw(?:au)?", r"ainm\w*", r"apellidos?", r"sobrenomes?", r"cognom[ei]", r"prenom\w*", r"identite\w*",
        r"identidad\w*", r"identit[aà]", r"identitat\w*",
        "имя", "имена", "фамили", "όνομα", "ονόματα", "اسم", "أسماء", "اسماء", "نام", "नाम", "ਨਾਮ", "নাম",
        "名字", "姓名", "名前", "이름",
        r"jmen\w*", r"nev(?:e|ek|et)?", r"vard\w*", r"ten", r"magac\w*",
        r"pangalan", r"jina", r"majina",
    ),
    "address": (
        r"adress\w*", r"adres\w*", r"(?:c|g|ch|ngh)yfeiriad\w*", r"direccion\w*", r"domicil\w*", r"morada\w*",
        r"endereco\w*", r"indirizz\w*", r"anschrift\w*", r"wohnort\w*",
        r"seoladh", r"pata", r"pate",
        "адрес", "διεύθυνσ", "عنوان", "عناوين", "پتہ", "پتے", "पता", "पते", "ਪਤਾ", "ঠিকানা", "地址", "住址",
        "住所", "주소",
        r"cim\w*", r"dia chi", r"cinwaan\w*", "آدرس",
        r"tirahan", r"anwani",
    ),
    "street": (
        r"calles?", r"rues?", r"ruas?", r"strada", r"strasse\w*", r"straat\w*", r"ulic\w*", r"sokag\w*",
        r"sokak\w*", r"caddes\w*", r"stryd", r"heol", r"sraid", r"gali",
        "улиц", "οδός", "شارع", "گلی", "सड़क", "गली", "ਗਲੀ", "রাস্তা", "街", "거리",
    ),
    "where": (
        r"donde", r"onde", r"dov(?:e|'e)", r"wo", r"waar", r"hvor", r"gdzie", r"unde", r"nerede", r"nerde",
        r"ble", r"kahan", r"kahaan", r"var", r"ou (?=habit|vit|vivent|travaill|demeur|loge|se trouv|sont|est)",
        "где", "πού", "أين", "کہاں", "कहाँ", "कहां", "ਕਿੱਥੇ", "কোথায়", "哪里", "哪裡", "哪儿", "どこ", "어디",
        r"kde", r"hol", r"kur", r"o dau", r"xagee", r"halkee", "کجا",
        r"saan", r"wapi",
    ),
    "live": (
        r"habit\w*", r"viv(?:e|en|ent|em|ono|i)", r"vit", r"mora[mn]?", r"residen\w*", r"abita\w*", r"wohn\w*",
        r"woon\w*", r"wonen", r"mieszka\w*", r"locuies\w*", r"yasa\w*", r"oturuyor\w*",
        r"rehta\w*", r"rehte\w*", r"reh?ti\b", r"bor\b", r"(?:f|m)?byw",
        "жив", "прожива", "μένει", "يعيش", "يسكن", "يقيم", "رہتا", "رہتے", "रहता", "रहते", "ਰਹਿੰਦ", "থাকে",
        "住在", "住哪", "住む", "사는",
        r"bydl\w*", r"zij[ei]", r"lak(?:ik|nak|ott)", r"gyven\w*", r"song o", r"ku nool", "زندگی",
        r"nakatira", r"(?:a|wa)naishi",
    ),
    "work": (
        r"trabaj\w*", r"travaill\w*", r"trabalh\w*", r"lavor\w*", r"arbeit\w*", r"werk(?:t|en)", r"pracuj\w*",
        r"lucreaz\w*", r"calis\w*", r"gweithio", r"kaam karta",
        "работа", "يعمل", "کام کرتا", "काम करता", "工作", "働", "일하",
    ),
    "house": (
        r"casa", r"maison", r"haus", r"huis", r"hus", r"ghar", "дом", "منزل", "بيت", "گھر", "घर", "房子",
    ),
    "photo": (
        r"fotos?", r"photos?", r"fotografi\w*", r"bild(?:er)?", r"zdjec\w*", r"resim\w*", r"fotograf\w*",
        r"ll?uniau", r"ll?un", r"tasveer", r"tasvir",
        "фото", "φωτογραφ", "صورة", "صور", "تصویر", "तस्वीर", "फोटो", "ਫੋਟੋ", "ছবি", "照片", "相片", "写真", "사진",
        r"fotk\w*", r"fenykep\w*", r"nuotrauk\w*", r"sawir\w*", "عکس",
        r"litrato", r"larawan", r"picha",
    ),
    "victim": (
        r"victim\w*", r"vitim\w*", r"vittim\w*", r"opfer\w*", r"slachtoffer\w*", r"ofiar\w*", r"kurban\w*",
        r"dioddefw\w*", r"peedit",
        "жертв", "θύμα", "ضحية", "ضحايا", "متاثر", "पीड़ित", "ਪੀੜਤ", "ভুক্তভোগী", "受害", "피해자",
    ),
    "neighbour": (
        r"voisin\w*", r"vecin[oa]s?", r"vizinh\w*", r"vicin[oa]\b", r"nachbar\w*", r"buurm\w*", r"buurvrouw\w*",
        r"granne\w*", r"nabo\w*", r"sasiad\w*", r"vecin\w*", r"komsu\w*", r"(?:c|g|ch|ngh)ymydog\w*", r"padosi",
        r"parosi",
        r"comharsa\w*",
        "сосед", "γείτον", "جار", "پڑوسی", "पड़ोसी", "ਗੁਆਂਢੀ", "প্রতিবেশী", "邻居", "鄰居", "隣人", "이웃",
        r"soused\w*", r"szomszed\w*", r"kaimyn\w*", r"hang xom", r"deris\w*", "همسایه",
        r"kapitbahay\w*", r"jirani",
    ),
    "who is": (
        r"qui (?:est|sont)", r"quien(?:es)?", r"quem", r"chi (?:e|sono)", r"wer (?:ist|sind)", r"wie (?:is|zijn)",
        r"kto", r"cine", r"kim", r"pwy", r"kaun",
        "кто", "ποιος", "من هو", "من هم", "کون", "कौन", "ਕੌਣ", "কে ", "谁", "誰", "누구",
        r"kdo", r"ki", r"kas", r"ai la", r"yaa", "کیست", "چه کسی",
        r"sino", r"nani",
    ),
    "yes or no": (
        r"oui ou non", r"si o no", r"sim ou nao", r"ja oder nein", r"ja of nee", r"ja eller nej", r"ja eller nei",
        r"tak (?:lub|czy) nie", r"da sau nu", r"evet (?:veya|ya da|mi) hayir", r"ie neu na", r"haan ya nahi?",
        r"haan ya na", r"ha ya na",
        "да или нет", "ναι ή όχι", "نعم أو لا", "نعم ام لا", "ہاں یا نہیں", "ہاں یا نا", "हाँ या ना", "हां या ना",
        "हाँ या नहीं", "ਹਾਂ ਜਾਂ ਨਹੀਂ", "হ্যাঁ বা না", "是或否", "是不是", "はいかいいえ", "예 또는 아니오",
    ),
    "is": (
        r"czy", r"kya", r"ydy", r"est-ce que", r"ist",
        "هل", "کیا", "क्या", "ਕੀ", "কি",
    ),
    "he": (r"woh", r"वह", "وہ", "他"),
    "how many": (
        r"combien", r"cuant[oa]s", r"quant[oa]s", r"quanti", r"wie viele", r"hoeveel", r"hur manga", r"hvor mange",
        r"ile", r"cati", r"kac", r"faint", r"kitne",
        "сколько", "πόσοι", "كم", "کتنے", "कितने", "ਕਿੰਨੇ", "কতজন", "多少", "何人", "몇",
        r"kolik", r"hany", r"kiek", r"bao nhieu", r"immisa", "چند",
    ),
    "how can i apply": (
        r"comment (?:faire|demander|puis)", r"como (?:puedo|solicit|pedir|posso|funciona|fazer)", r"come posso",
        r"wie kann ich", r"hoe kan ik", r"jak (?:moge|zlozyc|zglosic)", r"cum pot", r"nasil basvur\w*",
        r"sut (?:mae|gallaf|i)", r"wniosek", r"aanvraag", r"antrag", r"solicitud", r"demande", r"pedido",
        r"domanda", r"cerere", r"basvuru",
        "как подать", "كيف أقدم", "کیسے", "कैसे", "如何申请", "怎么申请",
    ),
    "why": (
        r"pourquoi", r"por que", r"porque", r"perche", r"warum", r"waarom", r"dlaczego", r"de ce", r"neden",
        r"pam", r"kyon", r"kyun",
        "почему", "γιατί", "لماذا", "کیوں", "क्यों", "ਕਿਉਂ", "কেন", "为什么", "為什麼", "なぜ", "왜",
    ),
    "must": (
        r"doit", r"doivent", r"il faut", r"debe[n]?", r"tiene que", r"tienen que", r"hay que",
        r"te(?:m|nho|ns) (?:que|de)",
        r"deve(?:m|ono)?", r"muss\w*", r"moet\w*", r"musi\w*", r"powin\w*", r"trebuie", r"zorunda", r"gerek\w*",
        r"rhaid", r"zaroor\w*",
        "должен", "обязан", "يجب", "ضروری", "ہوتا ہے", "चाहिए", "ਚਾਹੀਦਾ", "必须", "必須",
    ),
    "notify": (
        r"inform\w*", r"poinform\w*", r"notifi\w*", r"zglos\w*", r"powiadom\w*", r"mitteil\w*", r"meld\w*",
        r"avis\w*", r"comunic\w*", r"anunt\w*", r"bildir\w*", r"hysbys\w*", r"batana", r"batani",
        "сообщ", "уведом", "إبلاغ", "يبلغ", "بتانا", "बताना", "通知",
    ),
    "tell": (
        r"decir", r"dire", r"dizer", r"sagen", r"powiedziec", r"spune", r"d?dweud", r"soyle\w*",
    ),
    "publish": (
        r"publi(?:e|er|ent|ca|can|cam|car|que|quen)\w*", r"pubblic\w*", r"veroffentlich\w*", r"publiceer\w*",
        r"opublik\w*", r"publik\w*", r"yayinl\w*", r"cyhoedd\w*",
        "публику", "نشر", "شائع", "प्रकाशित", "公布", "公开", "公開", "公表",
    ),
    "not": (
        r"pas", r"nao", r"non", r"nicht", r"kein\w*", r"niet", r"geen", r"nie", r"nu", r"degil", r"ddim", r"nid",
        r"nahi\w*",
        "не", "нет", "لا", "نہیں", "नहीं", "不", "没",
    ),
    "which": (
        r"quel(?:le)?s?", r"cual(?:es)?", r"qua(?:l|is|le|li)", r"welche[rsmn]?", r"ktor\w*", r"jaki\w*", r"hangi",
        r"pa", r"kaun ?s[ai]",
        "какой", "какая", "котор", "ποιο", "أي", "کونسا", "कौन सा", "哪个", "哪個", "どの", "어느",
    ),
    "neighbourhood": (
        r"quartier\w*", r"barrio\w*", r"bairro\w*", r"quartiere", r"stadtteil\w*", r"viertel", r"wijk\w*",
        r"buurt\b", r"dzielnic\w*", r"osiedl\w*", r"cartier\w*", r"mahall?\w*", r"mohall?\w*", r"semt\w*",
        r"cymdogaeth\w*",
        "район", "حي", "محلہ", "محلے", "मोहल्ल", "街区", "社区",
    ),
    "village": (
        r"villages?", r"pueblos?", r"aldeas?", r"aldeias?", r"villaggi?o?", r"dorf\w*", r"dorp\w*", r"wies\b", r"wsi\b",
        r"satul\w*", r"koy\w*", r"pentref\w*", r"gaon", r"gaaon", r"gaun",
        "деревн", "قرية", "گاؤں", "गांव", "गाँव", "村",
    ),
    "town": (
        r"ville", r"ciudad\w*", r"cidade\w*", r"citta", r"stadt", r"stad", r"miast\w*", r"miescie", r"oras\w*",
        r"sehir\w*", r"tref", r"dref", r"shehar", r"shahar",
        "город", "مدينة", "شہر", "शहर", "镇", "城",
    ),
    "most": (
        r"le plus", r"les plus", r"el mayor", r"la mayor", r"mais (?=agressor|criminos|delinquent)", r"piu",
        r"am meisten", r"meisten", r"najwiecej", r"cei mai multi", r"cele mai multe", r"en cok", r"fwyaf",
        r"sabse zyada", r"sab se zyada",
        "больше всего", "الأكثر", "سب سے زیادہ", "सबसे ज्यादा", "最多",
    ),
    "number": (r"numer\w*", r"numero", r"nummer", r"rhif", r"nomor", "номер", "رقم", "نمبر", "नंबर"),
    "man": (
        r"hombre", r"homme", r"mec", r"gars", r"homem", r"uomo", r"tizio", r"mann", r"kerl", r"facet\w*", r"gosc\w*",
        r"mezczyzn\w*", r"barbat\w*", r"dyn", r"aadmi", r"banda",
        "мужчин", "رجل", "آدمی", "आदमी", "男人", "男子",
    ),
    "woman": (
        r"femme", r"mujer", r"mulher", r"donna", r"frau", r"vrouw", r"kobiet\w*", r"femeie", r"kadin", r"menyw",
        r"aurat",
        "женщин", "امرأة", "عورت", "औरत", "女人",
    ),
    "family": (
        r"famil(?:le|ia|ie|ien)", r"rodzin\w*", r"aile\w*", r"teulu",
        "семь", "عائلة", "خاندان", "परिवार", "家人", "家属",
    ),
}
