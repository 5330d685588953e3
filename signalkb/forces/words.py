"""Word lists for reducing English force phrases to concepts (data only; used by concepts.py).

The lists are small and general: function words, words that set a direction or intensity aside
("increasing", "growing"), shells that wrap the real subject ("desire for", "importance of"),
adjective → noun derivations ("technological" → "technology"), spelling variants and abbreviations.
They hold no words of any particular knowledge base.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS = _words(
    """
    a an the this that these those its it their his her our your my them they we you i he she and or
    nor but both either neither as so than then also too very just even only of in on at to for from
    by with without within into onto upon over under about above below across along among amid
    around between beyond through throughout toward towards via despite against during after before
    since until per vs versus is are was were be been being am do does did done have has had having
    can could may might must shall should will would not no yes all any each every some such own
    same other another more most less least many much few several various there here where when
    which who whom whose what why how etc eg ie
    """
)
"""Function words: never part of a concept."""

PREPOSITIONS = _words(
    """
    of in on at to for from by with without within into onto upon over under about across along
    among amid around between beyond through throughout toward towards via despite against during
    after before since until per
    """
)
"""Words that end the head noun phrase of a part ("advancement | in technology")."""

FILLER_WORDS = _words(
    """
    increasing increased increase increases rising rise growing grow grown greater great declining
    decline decreasing decreased decrease falling reduced reducing lower lowering higher improving
    improved improve improvement enhanced enhancing enhance better best rapid rapidly fast faster
    quick quickly slow continuous continued continuing ongoing potential possible new newer novel
    emerging current recent future further wider wide broader broad strong stronger significant
    major important key specific general overall certain various varying different diverse ever
    constant constantly heightened accelerating accelerated sustained persistent steady gradual
    sudden widespread renewed expanded expanding
    """
)
"""Direction and intensity words, set aside anywhere in a part ("increasing", "growing")."""

SHELL_NOUNS = _words(
    """
    desire desires wish wishes need needs demand demands want wants interest interests concern
    concerns importance recognition awareness understanding focus emphasis pace role roles impact
    impacts effect effects benefit benefits potential ability abilities commitment commitments
    effort efforts push pursuit quest search appetite preference preferences search rise growth
    increase decline decrease reduction acceleration prospect prospects promise possibility
    possibilities opportunity opportunities importance attention appreciation acceptance gain gains
    fear fears adoption uptake popularity lack lacks absence
    """
)
"""Nouns that, with the preposition after them, only wrap the subject at the start of a part ("desire for")."""

SHELL_VERBS = _words(
    """
    addressing address mitigating mitigate prioritizing prioritising prioritize prioritise ensuring
    ensure promoting promote demonstrating demonstrate fostering foster enhancing enhance improving
    improve increasing increase lowering lower reducing reduce maintaining maintain creating create
    providing provide supporting support boosting boost achieving achieve catering cater focusing
    focus encouraging encourage enabling enable driving drive pursuing pursue meeting meet seeking
    seek tackling tackle strengthening strengthen advancing advance accelerating accelerate
    expanding expand raising raise
    """
)
"""Verbs that only introduce the subject at the start of a part ("addressing", "mitigating")."""

HEAD_SHELLS = _words("demand desire need want wish concern interest awareness gain adoption uptake popularity")
"""Lemmas set aside also at the end of a part ("EV demand" is "demand for EVs")."""

GENERIC = _words(
    """
    change changes shift trend trends development growth technology advance innovation improvement
    progress demand need desire interest concern awareness experience impact effect factor factors
    issue issues problem problems challenge challenges opportunity opportunities pressure pressures
    use access market value quality cost costs price benefit risk risks support policy action
    solution solutions system systems people world society future potential capability work business
    industry service services product products life time way thing things
    """
)
"""Words too broad to be a driving force on their own ("technology", "change", "growth")."""

ABSTRACT = _words(
    """
    efficiency efficient productivity productive accessibility accessible affordability affordable
    convenience convenient competition competitiveness competitive research understanding unique
    uniqueness justice fairness fair experience control safety security health success recognition
    creativity creative curiosity sustainability sustainable transparency accountability collaboration
    communication engagement adaptation adaptability evolution optimization profit profitability
    regulation quality relevance performance effectiveness effective usability simplicity flexibility
    reliability resilience stability familiarity practicality personalization customization choice
    freedom independence autonomy agency identity status influence power trust ethics responsibility
    knowledge information data science education learning skill skills entertainment fun humor
    comfort pleasure enjoyment satisfaction wellbeing well-being happiness connection connectivity
    community culture tradition nature environment economy politics finance money wealth income
    revenue sales savings saving investment funding strategy planning management leadership
    governance law legislation rule rules standard standards model models tool tools platform
    platforms content media design scale size speed growth expansion integration
    inclusion diversity equality equity opportunity mission purpose meaning value values belief
    beliefs emotion emotions behavior behaviour perception attitude attitudes habit habits lifestyle
    preference preferences taste trend fashion novelty variety adoption availability abundance
    scarcity supply distribution financial economic social personal human digital professional public
    private political cultural global local individual collective commercial practical legal
    understand consumer user customer client employee company firm organization organisation
    government state country nation team group person ethic ethical requirement exploration monitoring
    practice resistance oversight proof free function testing test feedback problem-solving solve solving
    awareness management
    """
)
"""Abstract nouns and qualities that name no force alone: "Efficiency" in one note is not in another's sense."""

TOPICS = _words(
    """
    health science education learning data information knowledge law legislation finance money wealth
    income economy politics government governance community culture tradition nature environment media
    content entertainment platform platforms sustainability skill skills
    """
)
"""Abstract words that name a field: alone they name no force, with another broad word they do ("Public health",
"Social media", "Education technology"), where two qualities ("Cost-effectiveness") still do not."""

FIXED_PHRASES = (
    "research and development",
    "supply and demand",
    "trial and error",
    "mergers and acquisitions",
    "law and order",
    "health and safety",
    "diversity and inclusion",
    "diversity, equity and inclusion",
    "oil and gas",
    "food and beverage",
    "food and drink",
    "arts and culture",
    "science and technology",
    "checks and balances",
    "pros and cons",
    "rules and regulations",
    "peace and security",
    "rock and roll",
    "black and white",
    "bread and butter",
    "wear and tear",
    "cause and effect",
    "arts and crafts",
    "buy now and pay later",
)
"""Phrases whose `and` joins one idea, never split ("research and development")."""

ADJECTIVES = _words(
    """
    public private local global national international regional digital social economic political
    cultural environmental technological scientific financial medical legal rural urban open closed
    mobile online offline remote hybrid green clean renewable young old older elderly small large
    big rich poor human natural artificial physical mental civil military commercial industrial
    domestic foreign personal individual collective corporate ethical moral safe secure free fair
    cheap affordable sustainable efficient accessible inclusive healthy smart autonomous automated
    generative
    """
)
"""Common adjectives, for telling `social and economic change` (one idea) from two."""

ADJECTIVE_SUFFIXES = ("al", "ic", "ical", "ive", "ous", "ful", "less", "able", "ible", "ary", "ent", "ized", "ised")
"""Endings that mark an adjective when the word is not in NOT_ADJECTIVES."""

NOT_ADJECTIVES = _words(
    """
    proposal approval arrival capital hospital material signal animal journal festival rental
    referral renewal survival withdrawal disposal removal trial denial deal meal seal steal dial
    goal total interval terminal criminal chemical potential professional individual music traffic
    topic logic clinic fabric panic plastic mechanic critic republic epidemic pandemic public
    electronics graphic comic rhetoric magic tactic basic table cable vegetable variable label bible
    library summary salary dictionary diary glossary boundary secretary anniversary student agent
    parent patient client talent content event percent accent consent extent intent resident
    president incident element segment opponent component continent
    """
)
"""Words with an adjective ending that are (mostly) nouns."""

KEEP_AS_IS = _words(
    """
    ai ml nlp ev evs covid data news media species series economics politics logistics analytics
    physics ethics mathematics statistics gas us uk eu un usa g7 g20 esg dei r&d vr ar xr iot api
    apis gpu gpus llm llms gps 5g 6g
    """
)
"""Words the lemmatiser must not touch (abbreviations, plural-only nouns)."""

PLURAL_ABBREVIATIONS = {"evs": "ev", "llms": "llm", "apis": "api", "gpus": "gpu"}
"""Plural abbreviations and their singular."""

SPELLING = {
    "labour": "labor",
    "behaviour": "behavior",
    "behaviours": "behavior",
    "colour": "color",
    "favour": "favor",
    "honour": "honor",
    "humour": "humor",
    "neighbour": "neighbor",
    "flavour": "flavor",
    "harbour": "harbor",
    "centre": "center",
    "centres": "center",
    "programme": "program",
    "programmes": "program",
    "ageing": "aging",
    "defence": "defense",
    "licence": "license",
    "catalogue": "catalog",
    "wellbeing": "well-being",
    "healthcare": "health-care",
    "email": "e-mail",
}
"""British spellings and one-word forms → one spelling (applied before lemmatising)."""

DERIVATIONS = {
    "technological": "technology",
    "technical": "technology",
    "tech": "technology",
    "economic": "economy",
    "economical": "economy",
    "environmental": "environment",
    "political": "politics",
    "cultural": "culture",
    "scientific": "science",
    "financial": "finance",
    "demographic": "demography",
    "industrial": "industry",
    "medical": "medicine",
    "regulatory": "regulation",
    "regulate": "regulation",
    "competitive": "competition",
    "compete": "competition",
    "innovative": "innovation",
    "innovate": "innovation",
    "collaborative": "collaboration",
    "collaborate": "collaboration",
    "cooperative": "cooperation",
    "cooperate": "cooperation",
    "educational": "education",
    "educate": "education",
    "biological": "biology",
    "ecological": "ecology",
    "psychological": "psychology",
    "sustainable": "sustainability",
    "efficient": "efficiency",
    "accessible": "accessibility",
    "affordable": "affordability",
    "available": "availability",
    "productive": "productivity",
    "climatic": "climate",
    "geopolitical": "geopolitics",
    "automate": "automation",
    "automated": "automation",
    "adopt": "adoption",
    "personalize": "personalization",
    "personalise": "personalization",
    "personalized": "personalization",
    "customize": "customization",
    "customise": "customization",
    "customized": "customization",
    "localize": "localization",
    "localise": "localization",
    "localized": "localization",
    "optimize": "optimization",
    "optimise": "optimization",
    "digitalize": "digitalization",
    "digitize": "digitalization",
    "digitization": "digitalization",
    "decarbonize": "decarbonization",
    "decarbonise": "decarbonization",
    "electrify": "electrification",
    "globalize": "globalization",
    "globalise": "globalization",
    "urbanize": "urbanization",
    "urbanise": "urbanization",
    "advancement": "advance",
    "progress": "advance",
    "breakthrough": "advance",
    "electric": "electricity",
    "electrical": "electricity",
}
"""Adjectives, verbs and near-synonyms → the one noun that names the concept."""

MULTIWORD = (
    (("artificial", "intelligence"), "ai"),
    (("machine", "learning"), "ml"),
    (("natural", "language", "processing"), "nlp"),
    (("large", "language", "model"), "llm"),
    (("large", "language", "models"), "llm"),
    (("electric", "vehicle"), "ev"),
    (("electric", "vehicles"), "ev"),
    (("electric", "car"), "ev"),
    (("electric", "cars"), "ev"),
    (("research", "and", "development"), "r&d"),
    (("r", "d"), "r&d"),
    (("covid", "19"), "covid"),
    (("well", "being"), "well-being"),
    (("e", "mail"), "e-mail"),
    (("health", "care"), "health-care"),
    (("united", "states"), "us"),
    (("european", "union"), "eu"),
    (("united", "kingdom"), "uk"),
)
"""Word sequences that name one thing, replaced by one token before lemmatising."""
