"""Words and line shapes the offline lyricist writes with (data only).

A *theme* is a bank of words around a subject: the cue words that select it, the genre and mood
it implies when the description names none, a default subject phrase, line-ending nouns
(``ends``; those that also read as a place or a time after "in the" are ``scenes``), nouns for
the middle of lines, adjectives, intransitive -ing verbs and fallback titles. Line-ending words
are grouped into rhyme families by :mod:`rhyme_data` (built from the CMU dictionary), so a word
listed here only ends a line when a real rhyme for it exists in some bank.
"""

from __future__ import annotations


def word_set(text: str) -> set[str]:
    """The words of a text as a set: how the word lists here are written."""
    return set(text.split())


THEMES: dict[str, dict[str, str]] = {
    "coffee": {
        "cues": "coffee espresso latte cafe café cappuccino mug caffeine barista brew tea",
        "genre": "acoustic",
        "mood": "warm, mellow",
        "subject": "coffee",
        "ends": "morning cup steam cream dream bean brew mug sugar taste kitchen table street "
        "rain light window talk walk sun hug machine spoon afternoon cafe jar",
        "scenes": "morning steam kitchen street rain light window sun cafe afternoon",
        "nouns": "coffee sugar saucer kettle morning paper window",
        "adjectives": "bitter golden early sleepy warm dark slow sweet",
        "verbs": "waking sipping talking dreaming waiting smiling",
        "titles": "Morning Cup|Coffee Song|Second Cup",
        "lines": "|".join(
            [
                "Pour another cup before the {R}",
                "Sugar on my lips and the {A} {R}",
                "@Steam is rising in the {A} {R}",
                "One more sip and I can face the {R}",
            ]
        ),
    },
    "night": {
        "cues": "night midnight driving drive car road highway neon lights dark nightlife "
        "headlights",
        "genre": "synthwave, retro",
        "mood": "moody, nostalgic",
        "subject": "the night",
        "ends": "night light flight road code street beat heat star car guitar lane rain "
        "train sky dream stream beam wheel steel town highway",
        "scenes": "night light street heat lane rain sky dream town highway",
        "nouns": "engine signal radio mirror shadow window skyline horizon motor headlight",
        "adjectives": "neon electric silver endless empty restless burning midnight distant",
        "verbs": "driving racing chasing running shining fading rolling flying",
        "titles": "Midnight Drive|Neon Highway|Night Lights",
        "lines": "|".join(
            [
                "Headlights burning through the {A} {R}",
                "@Radio is humming in the {R}",
                "Foot down on the gas into the {R}",
                "Chasing every signal to the {R}",
            ]
        ),
    },
    "city": {
        "cues": "city town downtown york london paris tokyo streets subway skyline urban",
        "genre": "indie",
        "mood": "energetic",
        "subject": "the city",
        "ends": "city street beat lights night town crown train rain sound ground crowd skyline "
        "line sign corner bar car",
        "scenes": "city street night town train rain crowd skyline corner bar",
        "nouns": "taxi siren subway window rooftop stranger neon",
        "adjectives": "crowded electric restless golden noisy endless midnight",
        "verbs": "walking running dancing shining waiting talking",
        "titles": "City Lights|Downtown|Streets of Gold",
        "lines": "|".join(
            [
                "Taxis racing down into the {R}",
                "@Sirens singing in the {A} {R}",
                "Ten million windows and the {R}",
            ]
        ),
    },
    "rain": {
        "cues": "rain rainy raining storm thunder clouds umbrella drizzle",
        "genre": "indie",
        "mood": "melancholic, calm",
        "subject": "the rain",
        "ends": "rain pain lane window train day cloud sound ground street thunder sky goodbye "
        "night light",
        "scenes": "rain lane day cloud street thunder sky night light",
        "nouns": "umbrella puddle window thunder raincoat river",
        "adjectives": "silver grey heavy quiet gentle endless cold",
        "verbs": "falling drifting waiting dreaming walking crying",
        "titles": "Rainy Day|After the Rain|Silver Rain",
        "lines": "|".join(
            [
                "@Dancing with my shadow in the {R}",
                "Puddles full of sky and the {R}",
                "@Umbrellas open in the {A} {R}",
            ]
        ),
    },
    "ocean": {
        "cues": "ocean sea beach waves wave shore sand surf island sailing sail boat tide "
        "coast harbor",
        "genre": "folk",
        "mood": "peaceful, uplifting",
        "subject": "the ocean",
        "ends": "sea shore wave sand tide sky sun bay day tree breeze blue view foam home",
        "scenes": "sea sand tide sky sun bay breeze blue foam",
        "nouns": "ocean harbor sailboat seagull water sunlight island",
        "adjectives": "salty silver endless open golden gentle wild blue",
        "verbs": "sailing drifting floating dreaming shining swimming",
        "titles": "Salt and Sun|By the Sea|Ocean Eyes",
        "lines": "|".join(
            [
                "@Salt is on my skin and in the {R}",
                "Waves keep rolling to the {R}",
                "Seagulls calling out across the {R}",
            ]
        ),
    },
    "summer": {
        "cues": "summer sunny sunshine vacation holiday july august heat",
        "genre": "pop",
        "mood": "happy, upbeat",
        "subject": "summer",
        "ends": "sun fun heat beat street day sky light night shade lemonade breeze sea afternoon "
        "june moon",
        "scenes": "sun heat street sky light night shade breeze sea afternoon",
        "nouns": "sunshine sunset popsicle radio sunglasses",
        "adjectives": "golden sunny lazy endless happy easy bright",
        "verbs": "dancing laughing swimming shining playing singing",
        "titles": "Summertime|Golden Days|Endless Summer",
        "lines": "|".join(
            [
                "@Popsicles are melting in the {R}",
                "Sunglasses on and chasing the {R}",
                "@Barefoot on the sidewalk in the {R}",
            ]
        ),
    },
    "winter": {
        "cues": "winter snow snowy cold ice frozen december fireplace",
        "genre": "folk",
        "mood": "calm, nostalgic",
        "subject": "the winter",
        "ends": "snow glow cold gold fire light night sky home stone frost window sleigh day",
        "scenes": "snow glow cold light night sky frost window",
        "nouns": "snowflake fireplace blanket candle winter",
        "adjectives": "frozen silver quiet gentle silent white",
        "verbs": "falling drifting waiting dreaming shining",
        "titles": "First Snow|Winter Light|Silver Snow",
        "lines": "|".join(
            [
                "@Footprints disappearing in the {R}",
                "Blankets by the fire and the {R}",
                "@Breath is turning silver in the {R}",
            ]
        ),
    },
    "christmas": {
        "cues": "christmas xmas santa reindeer sleigh holidays mistletoe noel",
        "genre": "pop, christmas",
        "mood": "happy, warm",
        "subject": "Christmas",
        "ends": "snow glow tree night light bells home sleigh day star fire cheer year",
        "scenes": "snow glow night light home",
        "nouns": "reindeer stocking present candle sleigh snowflake",
        "adjectives": "merry golden shiny jolly silent frosty",
        "verbs": "singing shining dancing ringing waiting",
        "titles": "Christmas Lights|Merry Little Night|Under the Tree",
        "lines": "|".join(
            ["Stockings on the mantel and the {R}", "Wrapping paper everywhere, the {R}"]
        ),
    },
    "love": {
        "cues": "love lover romance romantic kiss darling baby girlfriend boyfriend wedding wife "
        "husband valentine crush heart",
        "genre": "pop",
        "mood": "romantic",
        "subject": "love",
        "ends": "heart start night light sky day dream fire flame moon soul kiss arms bliss art "
        "eyes skies face place dance chance romance",
        "scenes": "night light sky day dream fire moon",
        "nouns": "heartbeat whisper letter promise moment rose",
        "adjectives": "tender gentle golden sweet only secret perfect",
        "verbs": "dancing falling holding dreaming waiting shining",
        "titles": "Only You|Heartbeat|Fall Into You",
        "lines": "|".join(
            [
                "Every time you whisper, I see the {R}",
                "Hold my hand and never leave the {R}",
                "You're the only reason for the {R}",
            ]
        ),
    },
    "sorrow": {
        "cues": "sad lonely alone tears cry crying goodbye lost heartbreak broken memories "
        "miss grief gone",
        "genre": "ballad, piano",
        "mood": "sad, melancholic",
        "subject": "goodbye",
        "ends": "rain pain heart cold gold home night light door floor sound ground dream goodbye "
        "sky end friend",
        "scenes": "rain cold night light sound dream sky",
        "nouns": "memory shadow letter silence picture echo",
        "adjectives": "empty silent broken quiet distant hollow faded lonely",
        "verbs": "fading waiting crying calling drifting leaving",
        "titles": "Empty Room|The Last Goodbye|Faded Photographs",
        "lines": "|".join(
            [
                "Your picture's fading like the {R}",
                "I still hear you calling through the {R}",
                "Empty chair beside me and the {R}",
            ]
        ),
    },
    "friends": {
        "cues": "friend friends friendship buddy buddies crew squad gang together",
        "genre": "pop rock",
        "mood": "upbeat",
        "subject": "my friends",
        "ends": "friend end night light day road home sun fun time ride side town song crew view",
        "scenes": "night light day road sun town",
        "nouns": "story laughter journey memory summer",
        "adjectives": "crazy golden loyal endless good",
        "verbs": "laughing singing running dancing driving",
        "titles": "Old Friends|Side by Side|Good Times",
        "lines": "|".join(
            [
                "We've been through it all, down to the {R}",
                "Laughing till we're crying at the {R}",
                "Every crazy story and the {R}",
            ]
        ),
    },
    "party": {
        "cues": "party birthday celebrate celebration dance club weekend friday saturday "
        "cake anniversary",
        "genre": "dance pop",
        "mood": "happy, energetic",
        "subject": "the party",
        "ends": "cake night light floor beat street day town crown fun sun cheer year balloon tune",
        "scenes": "night light floor street town sun",
        "nouns": "candle present party music confetti birthday",
        "adjectives": "happy lucky golden crazy shiny sparkly",
        "verbs": "dancing singing jumping laughing spinning shining",
        "titles": "Party All Night|Best Day Ever|Light It Up",
        "lines": "|".join(
            [
                "Candles on the cake and the {R}",
                "Everybody's dancing to the {R}",
                "Turn the music up to the {R}",
            ]
        ),
    },
    "dog": {
        "cues": "dog dogs puppy puppies pup doggy",
        "genre": "pop",
        "mood": "happy, playful",
        "subject": "my dog",
        "ends": "ball tail trail bone home park yard day sun fun stick door floor wall hall stone "
        "bark treat street",
        "scenes": "park yard sun",
        "nouns": "puppy collar leash pillow garden",
        "adjectives": "happy fluffy silly muddy loyal little",
        "verbs": "running jumping barking playing wiggling",
        "titles": "Good Boy|Wagging Tail|Best Friend",
        "lines": "|".join(
            [
                "Wagging all the way to the {R}",
                "Chasing every squirrel to the {R}",
                "Muddy paws across the {R}",
            ]
        ),
    },
    "cat": {
        "cues": "cat cats kitten kitty",
        "genre": "indie pop",
        "mood": "playful",
        "subject": "my cat",
        "ends": "chair hair mat rain window sun nap lap night light floor door",
        "scenes": "rain window sun night light",
        "nouns": "pillow whisker blanket window",
        "adjectives": "lazy sleepy fluffy little curious",
        "verbs": "sleeping purring dreaming napping",
        "titles": "Sleepy Cat|Whiskers|Window Seat",
        "lines": "|".join(["Purring on the pillow by the {R}", "Knocking every cup onto the {R}"]),
    },
    "home": {
        "cues": "home house family mother mom mum father dad parents hometown kitchen grandmother "
        "grandma grandfather grandpa granny sister brother",
        "genre": "country",
        "mood": "warm, nostalgic",
        "subject": "home",
        "ends": "home road door floor light night heart table kitchen town yard day chair stair "
        "bread bed",
        "scenes": "road light night kitchen town yard",
        "nouns": "porch window photograph garden mother father",
        "adjectives": "old golden quiet gentle familiar",
        "verbs": "waiting calling coming singing dreaming",
        "titles": "Coming Home|Back Home|The Old House",
        "lines": "|".join(
            [
                "Mama's on the porch beside the {R}",
                "Supper on the table and the {R}",
                "Every creaky step up to the {R}",
            ]
        ),
    },
    "road": {
        "cues": "road trip travel traveling journey highway train wander adventure wheels",
        "genre": "country rock",
        "mood": "uplifting",
        "subject": "the open road",
        "ends": "road line sign mile sky town ground sound wheel day sun train rain",
        "scenes": "road sky town sun train rain",
        "nouns": "map engine suitcase radio window",
        "adjectives": "open endless dusty distant golden",
        "verbs": "driving rolling running chasing wandering",
        "titles": "Open Road|Miles Away|Keep on Rolling",
        "lines": "|".join(
            [
                "Windows down and singing to the {R}",
                "Every mile marker to the {R}",
                "Map upon the dashboard and the {R}",
            ]
        ),
    },
    "space": {
        "cues": "space stars star galaxy planet planets moon rocket astronaut universe cosmos "
        "orbit sky",
        "genre": "electronic",
        "mood": "dreamy",
        "subject": "the stars",
        "ends": "stars star sky light night moon space place dream beam sun flight",
        "scenes": "sky light night space dream",
        "nouns": "rocket comet planet silence satellite",
        "adjectives": "distant silver endless cosmic quiet",
        "verbs": "floating flying drifting shining dreaming",
        "titles": "Among the Stars|Satellite|Starlight",
        "lines": "|".join(
            [
                "Floating past the moon into the {R}",
                "Rocket burning brighter than the {R}",
                "@Satellites are spinning in the {R}",
            ]
        ),
    },
    "dragon": {
        "cues": "dragon dragons knight knights sword king queen legend fantasy hero warrior "
        "castle viking giant kingdom magic wizard",
        "genre": "metal",
        "mood": "epic, heavy",
        "subject": "the dragons",
        "ends": "fire sword lord stone throne crown town night light flight fight sky steel gold "
        "cold flame roar shore",
        "scenes": "fire night light sky cold flame",
        "nouns": "kingdom thunder mountain armor shadow legend banner",
        "adjectives": "ancient mighty iron burning savage golden",
        "verbs": "rising burning riding marching flying roaring",
        "titles": "Dragonfire|Wings of Fire|The Iron Crown",
        "lines": "|".join(
            [
                "Wings of thunder tearing through the {R}",
                "Swords are raised against the {A} {R}",
                "Ancient fire waking in the {R}",
            ]
        ),
    },
    "battle": {
        "cues": "war battle fight fighter soldier army revolution rebel",
        "genre": "rock",
        "mood": "aggressive, epic",
        "subject": "the fight",
        "ends": "fight night light fire ground sound stand land line steel wall call",
        "scenes": "night light fire ground land",
        "nouns": "thunder banner soldier army courage",
        "adjectives": "iron burning savage fearless",
        "verbs": "rising marching fighting burning",
        "titles": "Stand and Fight|Battle Cry|No Surrender",
        "lines": "|".join(
            ["Standing shoulder to shoulder at the {R}", "Drums of war are calling to the {R}"]
        ),
    },
    "money": {
        "cues": "money cash rich hustle hustling grind dollar dollars gold fame success",
        "genre": "hip hop",
        "mood": "confident",
        "subject": "the money",
        "ends": "gold cold top block street beat game name fame chain rain lane crown town",
        "scenes": "top block street rain town",
        "nouns": "hustle paper diamond engine",
        "adjectives": "golden shiny heavy brand-new",
        "verbs": "grinding hustling shining rolling",
        "titles": "Stack It Up|Gold Chains|Top of the Game",
        "lines": "|".join(
            ["Counting every dollar to the {R}", "Started from the bottom to the {R}"]
        ),
    },
    "school": {
        "cues": "school study studying class teacher homework exam student college university "
        "graduation",
        "genre": "pop punk",
        "mood": "playful",
        "subject": "school",
        "ends": "school rule class bell hall day test rest night light book look lunch bunch "
        "grade parade",
        "scenes": "school class hall day night",
        "nouns": "locker notebook pencil homework",
        "adjectives": "boring endless crazy sleepy",
        "verbs": "waiting dreaming running laughing",
        "titles": "Last Bell|Class Clown|Summer Break",
        "lines": "|".join(
            ["Waiting for the bell and the {R}", "Notebooks full of doodles and the {R}"]
        ),
    },
    "work": {
        "cues": "work job office boss monday overtime deadline",
        "genre": "rock",
        "mood": "energetic",
        "subject": "the weekend",
        "ends": "day weekend night light clock time line pay sign train rain block boss loss",
        "scenes": "day weekend night light",
        "nouns": "coffee meeting paper traffic",
        "adjectives": "endless boring grey busy",
        "verbs": "working waiting running dreaming",
        "titles": "Nine to Five|Monday Again|Clock Out",
        "lines": "|".join(
            ["Staring at the clock until the {R}", "Coffee number seven and the {R}"]
        ),
    },
    "baby": {
        "cues": "baby lullaby sleep sleepy bedtime newborn child children goodnight",
        "genre": "lullaby, acoustic",
        "mood": "gentle, soft",
        "subject": "my baby",
        "ends": "night light moon tune sleep dream beam star bed sky",
        "scenes": "night light moon dream sky",
        "nouns": "blanket pillow starlight moonlight",
        "adjectives": "little sleepy gentle tiny quiet",
        "verbs": "sleeping dreaming drifting shining",
        "titles": "Goodnight|Little Star|Sleepy Moon",
        "lines": "|".join(
            ["Close your little eyes and see the {R}", "Hush now, little one, here's the {R}"]
        ),
    },
    "nature": {
        "cues": "forest tree trees mountain mountains river nature garden flower flowers "
        "spring autumn wind meadow valley",
        "genre": "folk",
        "mood": "peaceful",
        "subject": "the river",
        "ends": "tree sea breeze sky stream dream river hill stone ground sound rain morning "
        "leaves",
        "scenes": "sky stream dream river hill rain morning leaves",
        "nouns": "willow sparrow meadow valley sunlight water",
        "adjectives": "green wild quiet golden gentle open",
        "verbs": "growing flowing blooming drifting shining",
        "titles": "Wildflower|Down by the River|Evergreen",
        "lines": "|".join(["Wildflowers bending to the {R}", "@Birds are singing in the {A} {R}"]),
    },
    "food": {
        "cues": "food pizza taco tacos burger cake cookies pasta cooking dinner breakfast "
        "pancakes chocolate",
        "genre": "funk",
        "mood": "playful",
        "subject": "pizza",
        "ends": "plate table cheese sauce bite night light taste fun sun treat heat street date "
        "pie sky bread bed",
        "scenes": "night light sun street",
        "nouns": "kitchen dinner dessert oven",
        "adjectives": "tasty hungry cheesy sweet golden",
        "verbs": "cooking eating dancing smiling",
        "titles": "Extra Cheese|Midnight Snack|Seconds Please",
        "lines": "|".join(
            ["Extra cheese and hot sauce and the {R}", "Kitchen smelling better than the {R}"]
        ),
    },
    "dreams": {
        "cues": "dream dreams dreaming hope future wish freedom free fly flying",
        "genre": "pop",
        "mood": "uplifting, hopeful",
        "subject": "my dreams",
        "ends": "dream stream sky light night day sea wings sun flight plane rain train",
        "scenes": "dream sky light night day sun",
        "nouns": "promise feather horizon rainbow",
        "adjectives": "endless golden open brave bright",
        "verbs": "flying rising dreaming shining",
        "titles": "Fly Away|Dreamer|Higher",
        "lines": "|".join(["Paper wings are carrying the {R}", "Reaching out to touch the {R}"]),
    },
    "ghost": {
        "cues": "ghost ghosts halloween haunted spooky witch zombie vampire monster",
        "genre": "rock",
        "mood": "dark, eerie",
        "subject": "the ghost",
        "ends": "night light moon tomb bone stone fright sound ground door floor",
        "scenes": "night light moon sound",
        "nouns": "shadow candle raven midnight",
        "adjectives": "haunted hollow eerie pale midnight",
        "verbs": "creeping crawling howling calling",
        "titles": "Haunted House|Midnight Howl|Things That Go Bump",
        "lines": "|".join(
            ["Something's creeping closer to the {R}", "Footsteps on the stairs and the {R}"]
        ),
    },
    "robot": {
        "cues": "robot robots machine future cyber computer ai android digital",
        "genre": "electronic",
        "mood": "energetic",
        "subject": "the machine",
        "ends": "machine screen code light night wire fire line sign sound ground",
        "scenes": "screen light night sound",
        "nouns": "circuit signal static engine",
        "adjectives": "electric digital silver endless",
        "verbs": "glowing humming running shining",
        "titles": "Machine Heart|Digital Love|System Online",
        "lines": "|".join(["Circuits humming louder than the {R}", "Binary heartbeat and the {R}"]),
    },
    "sports": {
        "cues": "football soccer basketball baseball game team win winning champion goal",
        "genre": "rock",
        "mood": "energetic, triumphant",
        "subject": "the game",
        "ends": "game name fame ball call hall line field night light crowd team dream goal soul "
        "score roar",
        "scenes": "field night light crowd",
        "nouns": "stadium jersey trophy whistle",
        "adjectives": "golden fearless endless",
        "verbs": "running winning rising fighting",
        "titles": "Champions|Game Day|Victory Lap",
        "lines": "|".join(
            ["Running through the whistle to the {R}", "Every drop of sweat for the {R}"]
        ),
    },
    "cowboy": {
        "cues": "cowboy whiskey bar truck farm ranch horse rodeo tractor beer",
        "genre": "country",
        "mood": "warm",
        "subject": "the whiskey",
        "ends": "road town ground sound bar car star guitar night light sun fun",
        "scenes": "road town night light sun",
        "nouns": "whiskey pickup tractor porch",
        "adjectives": "dusty old golden lonesome",
        "verbs": "driving drinking dancing rolling",
        "titles": "Dirt Road|Whiskey Nights|Small Town",
        "lines": "|".join(
            ["Boots upon the floorboards and the {R}", "Pickup rolling down to the {R}"]
        ),
    },
}

GENERIC: dict[str, str] = {
    "ends": "night light sky goodbye heart start rain day home sun fire sea road dream star door "
    "floor sound ground flame moon tune town shore gold cold glow snow song dark spark room "
    "smile wonder scars lake cave gate strings train lane",
    "scenes": "night light sky rain day dream sun sea road sound moon town snow dark room cold",
}
"""Line endings any song may use: their rhymes fill out a theme's families."""

MOOD_THEMES: dict[str, str] = {
    "sad": "sorrow",
    "melancholic": "sorrow",
    "lonely": "sorrow",
    "happy": "party",
    "joyful": "party",
    "romantic": "love",
    "epic": "dragon",
    "dreamy": "dreams",
    "dark": "ghost",
    "nostalgic": "home",
}
"""A theme for a description whose words match no theme's cues, by its first such mood."""

GENRE_THEMES: dict[str, str] = {
    "metal": "dragon",
    "doom": "ghost",
    "hiphop": "money",
    "trap": "money",
    "country": "cowboy",
    "synthwave": "night",
    "chillwave": "night",
    "edm": "party",
    "house": "party",
    "techno": "robot",
    "trance": "space",
    "dubstep": "robot",
    "dnb": "city",
    "disco": "party",
    "funk": "party",
    "punk": "friends",
    "grunge": "battle",
    "emo": "sorrow",
    "rock": "road",
    "indie": "city",
    "lofi": "rain",
    "ambient": "space",
    "reggae": "summer",
    "ska": "friends",
    "latin": "summer",
    "bossa": "ocean",
    "afrobeat": "summer",
    "jazz": "city",
    "blues": "sorrow",
    "soul": "love",
    "rnb": "love",
    "folk": "nature",
    "acoustic": "home",
    "gospel": "dreams",
    "ballad": "love",
    "orchestral": "dragon",
    "cinematic": "dragon",
    "classical": "nature",
    "kpop": "love",
    "jpop": "dreams",
}
"""A theme for a description with no subject and no mood, by the first genre it names."""

DEFAULT_THEME = "love"

# Line shapes (a theme adds its own in "lines", "|"-separated). {R}: the rhyming end word;
# {S}: the subject phrase; {A}: an adjective; {N}: a noun; {V}: an -ing verb. "(...)" is
# optional (it tunes the syllable count); a leading "@" means the end word must read as a place
# or time ("in the morning"), a leading "!" that the subject must be a noun phrase, not an -ing
# phrase ("me and my dog", not "me and driving").
VERSE = [
    "(And )I remember the {N} and the {R}",
    "Waking up to the {A} {R}",
    "All I ever wanted was the {R}",
    "You and me and the {A} {R}",
    "(Oh, )I keep dreaming of the {R}",
    "Tell me everything about the {R}",
    "Take me back to the {A} {R}",
    "Nothing in the world like the {R}",
    "(Oh, )I'm holding on to the {R}",
    "Here comes the {A} {R}",
    "(Oh, )I can almost feel the {R}",
    "I'm in love with the {N} and the {R}",
    "(Just )give me the {N} and the {R}",
    "I was thinking of the {A} {R}",
    "(Oh, )we were made for the {R}",
    "@{V} in the {A} {R}",
    "@We were {V} in the {R}",
    "@Meet me in the {A} {R}",
    "@(Oh, )lost inside the {R}",
    "@(Oh, )underneath the {A} {R}",
    "@Out here in the {R}",
]
VERSE_SUBJECT = [
    "I keep thinking about {S} and the {R}",
    "It's {S} and the {A} {R}",
    "!Me and {S} and the {R}",
    "(So )I'm singing about {S} and the {R}",
    "All I need is {S} and the {R}",
    "@{S} in the {A} {R}",
    "!(Oh, )give me {S} and the {R}",
]
HOOK = [
    "Here's to {S} and the {R}",
    "(Oh, )all I need is {S} and the {R}",
    "Sing it out for {S} and the {R}",
    "It's all about {S} and the {R}",
    "@(Oh, ){S} in the {A} {R}",
    "!(Oh, )give me {S} and the {A} {R}",
    "(Oh, )nothing's like {S} and the {R}",
]
CHORUS = [
    "Oh, we're {V} (all night )to the {R}",
    "@Sing it (out )loud into the {R}",
    "We will never (ever )lose the {R}",
    "Hold me close (tonight )and feel the {R}",
    "@Light it up, (now, )the {A} {R}",
    "Hey, we're {V} (along )to the {R}",
    "(Oh, )we're gonna chase (down )the {R}",
    "Don't you (ever )let go of the {R}",
    "Raise it up (high )to the {A} {R}",
    "@(Oh, )we're {V} (away )in the {R}",
]
BRIDGE = [
    "Slowly {V} to the {R}",
    "Maybe we were made for the {R}",
    "So we wait for the {A} {R}",
    "Nothing ever stops the {R}",
    "Close your eyes and see the {R}",
    "(And )when it's over, there's the {R}",
    "Even if we lose the {R}",
    "@(And )when it's quiet in the {R}",
]
SAD = [
    "(And )I still miss the {A} {R}",
    "Where did we lose the {R}",
    "@(Oh, )crying in the {A} {R}",
    "(Oh, )I'm letting go of the {R}",
]
"""Added to the verse and bridge shapes when the mood is sad."""

# Words in a description that never name its subject (besides genres, moods and instruments).
FILLER = word_set(
    """a an the and or but of for to in on at by with about from into over under as
    song songs track tracks tune tunes music piece number anthem jam banger ditty melody
    make write create compose give me my our your his her their its this that these those
    some something is are was be been being it i you we they he she him them us very really
    quite so just like style styled type kind vibe vibes feel feeling feat featuring please
    want need would could should can will sung singing sounds sound beat beats lyrics lyric
    vocals vocal voice singer male female man woman boy girl instrumental bpm tempo uptempo
    downtempo mid midtempo one little bit lot with without no not some new old
    good great nice cool best"""
)

# Adjectival and suffixed genre forms -> the genre word the engine reads.
GENRE_FORMS: dict[str, str] = {
    "jazzy": "jazz",
    "jazzier": "jazz",
    "bluesy": "blues",
    "funky": "funk",
    "funkier": "funk",
    "rocking": "rock",
    "rockin": "rock",
    "rocky": "rock",
    "rock'n'roll": "rock",
    "folky": "folk",
    "folksy": "folk",
    "poppy": "pop",
    "punky": "punk",
    "punkish": "punk",
    "soulful": "soul",
    "metallic": "metal",
    "grungy": "grunge",
    "housey": "house",
    "housy": "house",
    "trappy": "trap",
    "swingy": "swing",
    "swinging": "swing",
    "discoey": "disco",
    "reggaeish": "reggae",
    "gospelly": "gospel",
    "classy": "",
    "operatic": "classical",
    "orchestrated": "orchestral",
    "symphonic": "symphonic",
    "electronica": "electronica",
    "synthy": "synthpop",
    "danceable": "dance",
    "dancey": "dance",
    "dancy": "dance",
    "hip-hoppy": "hip hop",
    "rappy": "rap",
    "countrified": "country",
    "twangy": "country",
    "ambienty": "ambient",
    "lofi-ish": "lofi",
    "synth-pop": "synthpop",
    "shanty": "folk",
    "shanties": "folk",
    "hymn": "gospel",
    "ragtime": "jazz",
    "mariachi": "latin",
    "flamenco": "latin",
    "tango": "latin",
    "cumbia": "latin",
    "bachata": "latin",
    "rapping": "rap",
    "rapped": "rap",
}

# Aliases the vocabulary reads as a genre that a description more often means otherwise.
NOT_GENRE = {"epic", "jungle"}

# How a genre key is written in tags: its plainest spelling (that the engine reads back).
GENRE_TAG: dict[str, str] = {
    "hiphop": "hip hop",
    "rnb": "r&b",
    "lofi": "lo-fi",
    "dnb": "drum and bass",
    "kpop": "k-pop",
    "jpop": "j-pop",
    "bossa": "bossa nova",
    "edm": "edm",
}

# Description words for tempo, written as the tag the engine reads.
TEMPO_WORDS: dict[str, str] = {
    "fast": "fast",
    "quick": "fast",
    "uptempo": "upbeat",
    "up-tempo": "upbeat",
    "upbeat": "upbeat",
    "slow": "slow",
    "downtempo": "slow",
    "down-tempo": "slow",
    "laid-back": "relaxed",
    "laidback": "relaxed",
}

# Mood words the engine does not know, as the nearest mood it does.
MOOD_SYNONYMS: dict[str, str] = {
    "funny": "playful",
    "silly": "playful",
    "playful": "playful",
    "lonely": "sad",
    "heartbroken": "sad",
    "depressing": "sad",
    "gloomy": "dark",
    "spooky": "dark",
    "creepy": "dark",
    "scary": "dark",
    "sunny": "happy",
    "cheery": "happy",
    "fun": "happy",
    "peaceful": "calm",
    "serene": "calm",
    "warm": "warm",
    "cozy": "warm",
    "cosy": "warm",
    "smooth": "mellow",
    "triumphant": "triumphant",
    "confident": "confident",
    "sexy": "romantic",
    "sensual": "romantic",
    "inspiring": "uplifting",
    "motivational": "uplifting",
    "hype": "energetic",
    "hyped": "energetic",
    "wistful": "nostalgic",
}
