"""Municipalities the assistant recognises: Sweden's 290 kommuner and the
Swedish-speaking (and bilingual) municipalities of Finland, with the display form
each uses of itself ("Solna stad", "Strömsunds kommun", "Nykarleby stad").
"""

from __future__ import annotations

# fmt: off
# (a line per län, not a line per kommun)
#: Sweden's 290 kommuner (short names).
SVERIGE: tuple[str, ...] = (
    # Stockholms län
    "Botkyrka", "Danderyd", "Ekerö", "Haninge", "Huddinge", "Järfälla", "Lidingö", "Nacka", "Norrtälje",
    "Nykvarn", "Nynäshamn", "Salem", "Sigtuna", "Sollentuna", "Solna", "Stockholm", "Sundbyberg",
    "Södertälje", "Tyresö", "Täby", "Upplands Väsby", "Upplands-Bro", "Vallentuna", "Vaxholm", "Värmdö",
    "Österåker",
    # Uppsala län
    "Enköping", "Heby", "Håbo", "Knivsta", "Tierp", "Uppsala", "Älvkarleby", "Östhammar",
    # Södermanlands län
    "Eskilstuna", "Flen", "Gnesta", "Katrineholm", "Nyköping", "Oxelösund", "Strängnäs", "Trosa",
    "Vingåker",
    # Östergötlands län
    "Boxholm", "Finspång", "Kinda", "Linköping", "Mjölby", "Motala", "Norrköping", "Söderköping",
    "Vadstena", "Valdemarsvik", "Ydre", "Åtvidaberg", "Ödeshög",
    # Jönköpings län
    "Aneby", "Eksjö", "Gislaved", "Gnosjö", "Habo", "Jönköping", "Mullsjö", "Nässjö", "Sävsjö", "Tranås",
    "Vaggeryd", "Vetlanda", "Värnamo",
    # Kronobergs län
    "Alvesta", "Lessebo", "Ljungby", "Markaryd", "Tingsryd", "Uppvidinge", "Växjö", "Älmhult",
    # Kalmar län
    "Borgholm", "Emmaboda", "Hultsfred", "Högsby", "Kalmar", "Mönsterås", "Mörbylånga", "Nybro",
    "Oskarshamn", "Torsås", "Vimmerby", "Västervik",
    # Gotlands län
    "Gotland",
    # Blekinge län
    "Karlshamn", "Karlskrona", "Olofström", "Ronneby", "Sölvesborg",
    # Skåne län
    "Bjuv", "Bromölla", "Burlöv", "Båstad", "Eslöv", "Helsingborg", "Hässleholm", "Höganäs", "Hörby",
    "Höör", "Klippan", "Kristianstad", "Kävlinge", "Landskrona", "Lomma", "Lund", "Malmö", "Osby",
    "Perstorp", "Simrishamn", "Sjöbo", "Skurup", "Staffanstorp", "Svalöv", "Svedala", "Tomelilla",
    "Trelleborg", "Vellinge", "Ystad", "Åstorp", "Ängelholm", "Örkelljunga", "Östra Göinge",
    # Hallands län
    "Falkenberg", "Halmstad", "Hylte", "Kungsbacka", "Laholm", "Varberg",
    # Västra Götalands län
    "Ale", "Alingsås", "Bengtsfors", "Bollebygd", "Borås", "Dals-Ed", "Essunga", "Falköping",
    "Färgelanda", "Grästorp", "Gullspång", "Göteborg", "Götene", "Herrljunga", "Hjo", "Härryda",
    "Karlsborg", "Kungälv", "Lerum", "Lidköping", "Lilla Edet", "Lysekil", "Mariestad", "Mark",
    "Mellerud", "Munkedal", "Mölndal", "Orust", "Partille", "Skara", "Skövde", "Sotenäs", "Stenungsund",
    "Strömstad", "Svenljunga", "Tanum", "Tibro", "Tidaholm", "Tjörn", "Tranemo", "Trollhättan",
    "Töreboda", "Uddevalla", "Ulricehamn", "Vara", "Vårgårda", "Vänersborg", "Åmål", "Öckerö",
    # Värmlands län
    "Arvika", "Eda", "Filipstad", "Forshaga", "Grums", "Hagfors", "Hammarö", "Karlstad", "Kil",
    "Kristinehamn", "Munkfors", "Storfors", "Sunne", "Säffle", "Torsby", "Årjäng",
    # Örebro län
    "Askersund", "Degerfors", "Hallsberg", "Hällefors", "Karlskoga", "Kumla", "Laxå", "Lekeberg",
    "Lindesberg", "Ljusnarsberg", "Nora", "Örebro",
    # Västmanlands län
    "Arboga", "Fagersta", "Hallstahammar", "Kungsör", "Köping", "Norberg", "Sala", "Skinnskatteberg",
    "Surahammar", "Västerås",
    # Dalarnas län
    "Avesta", "Borlänge", "Falun", "Gagnef", "Hedemora", "Leksand", "Ludvika", "Malung-Sälen", "Mora",
    "Orsa", "Rättvik", "Smedjebacken", "Säter", "Vansbro", "Älvdalen",
    # Gävleborgs län
    "Bollnäs", "Gävle", "Hofors", "Hudiksvall", "Ljusdal", "Nordanstig", "Ockelbo", "Ovanåker",
    "Sandviken", "Söderhamn",
    # Västernorrlands län
    "Härnösand", "Kramfors", "Sollefteå", "Sundsvall", "Timrå", "Ånge", "Örnsköldsvik",
    # Jämtlands län
    "Berg", "Bräcke", "Härjedalen", "Krokom", "Ragunda", "Strömsund", "Åre", "Östersund",
    # Västerbottens län
    "Bjurholm", "Dorotea", "Lycksele", "Malå", "Nordmaling", "Norsjö", "Robertsfors", "Skellefteå",
    "Sorsele", "Storuman", "Umeå", "Vilhelmina", "Vindeln", "Vännäs", "Åsele",
    # Norrbottens län
    "Arjeplog", "Arvidsjaur", "Boden", "Gällivare", "Haparanda", "Jokkmokk", "Kalix", "Kiruna", "Luleå",
    "Pajala", "Piteå", "Älvsbyn", "Överkalix", "Övertorneå",
)
# fmt: on

#: Swedish kommuner that call themselves "stad" (display form as they write it).
STAD: dict[str, str] = {
    "Stockholm": "Stockholms stad",
    "Göteborg": "Göteborgs stad",
    "Malmö": "Malmö stad",
    "Solna": "Solna stad",
    "Sundbyberg": "Sundbybergs stad",
    "Vaxholm": "Vaxholms stad",
    "Västerås": "Västerås stad",
    "Lidingö": "Lidingö stad",
    "Landskrona": "Landskrona stad",
    "Helsingborg": "Helsingborgs stad",
    "Mölndal": "Mölndals stad",
    "Trollhättan": "Trollhättans stad",
    "Borås": "Borås stad",
    "Haparanda": "Haparanda stad",
}

#: Swedish-speaking and bilingual municipalities of Finland (incl. Åland): name → display form.
FINLAND: dict[str, str] = {
    "Helsingfors": "Helsingfors stad",
    "Esbo": "Esbo stad",
    "Vanda": "Vanda stad",
    "Grankulla": "Grankulla stad",
    "Kyrkslätt": "Kyrkslätts kommun",
    "Sjundeå": "Sjundeå kommun",
    "Ingå": "Ingå kommun",
    "Raseborg": "Raseborgs stad",
    "Hangö": "Hangö stad",
    "Lovisa": "Lovisa stad",
    "Borgå": "Borgå stad",
    "Sibbo": "Sibbo kommun",
    "Lappträsk": "Lappträsk kommun",
    "Kimitoön": "Kimitoöns kommun",
    "Pargas": "Pargas stad",
    "Åbo": "Åbo stad",
    "Vasa": "Vasa stad",
    "Korsholm": "Korsholms kommun",
    "Korsnäs": "Korsnäs kommun",
    "Malax": "Malax kommun",
    "Närpes": "Närpes stad",
    "Kristinestad": "Kristinestad",
    "Kaskö": "Kaskö stad",
    "Vörå": "Vörå kommun",
    "Nykarleby": "Nykarleby stad",
    "Jakobstad": "Jakobstads stad",
    "Pedersöre": "Pedersöre kommun",
    "Larsmo": "Larsmo kommun",
    "Kronoby": "Kronoby kommun",
    "Karleby": "Karleby stad",
    "Mariehamn": "Mariehamns stad",
    "Jomala": "Jomala kommun",
    "Finström": "Finströms kommun",
    "Saltvik": "Saltviks kommun",
    "Sund": "Sunds kommun",
    "Hammarland": "Hammarlands kommun",
    "Eckerö": "Eckerö kommun",
    "Lemland": "Lemlands kommun",
    "Lumparland": "Lumparlands kommun",
    "Geta": "Geta kommun",
    "Vårdö": "Vårdö kommun",
    "Föglö": "Föglö kommun",
    "Kökar": "Kökar kommun",
    "Sottunga": "Sottunga kommun",
    "Kumlinge": "Kumlinge kommun",
    "Brändö": "Brändö kommun",
}


def genitive(name: str) -> str:
    """Swedish genitive of a place name: Strömsund → Strömsunds, Gnesta → Gnesta, Strängnäs → Strängnäs."""
    return name if name[-1].lower() in "aeiouyåäösxz" else name + "s"


def display_name(name: str) -> str:
    """How the municipality names itself: "Strömsunds kommun", "Solna stad", "Region Gotland"."""
    if name in FINLAND:
        return FINLAND[name]
    if name in STAD:
        return STAD[name]
    if name == "Gotland":
        return "Region Gotland"
    return f"{genitive(name)} kommun"


#: Every recognised municipality: short name → display form.
KOMMUNER: dict[str, str] = {n: display_name(n) for n in (*SVERIGE, *FINLAND)}
