"""What the quickstart speakers say: takes of a few sentences each, grouped by BEAT emotion.

Each take is spoken by every quickstart speaker. Take indices follow BEAT's speech-take protocol
(``motiongen.datasets.beat.emotions.SPEECH_TAKE_EMOTIONS``: 1-64 neutral, 65-72 happiness, 73-80 anger,
81-86 sadness, 95-102 surprise, 103-110 fear, 111-118 disgust) and the CaMN split rule
(``motiongen.datasets.beat.splits``: 1-8 test, 57-64 val, 9-56 and the inner takes of each emotion block
train), so the real corpus reader assigns emotions and splits exactly as for BEAT.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScriptTake:
    """One take: BEAT speech-take index (fixes emotion and split) and its sentences."""

    index: int
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Speaker:
    """A quickstart speaker: BEAT-style numeric id, name (letters only) and eSpeak NG voice."""

    speaker_id: int
    name: str
    voice: str


SPEAKERS: tuple[Speaker, ...] = (Speaker(1, "ava", "female"), Speaker(2, "ben", "male"))

TAKES: tuple[ScriptTake, ...] = (
    ScriptTake(9, (
        "Today I want to talk about how we plan a small project.",
        "First, we write down what the users actually need.",
        "Then we split the work into steps that take a day or two.",
        "Finally, we check every step before we move on.",
    )),
    ScriptTake(10, (
        "The train leaves the station at eight in the morning.",
        "It stops in three towns before it reaches the coast.",
        "Most people read, sleep, or look out of the window.",
        "The whole trip takes about four hours.",
    )),
    ScriptTake(11, (
        "Let me explain how the heating in this building works.",
        "Warm water flows from the boiler through the pipes.",
        "Each room has a valve, so you can turn it up or down.",
        "In summer, the whole system is switched off.",
    )),
    ScriptTake(12, (
        "My favourite place in the city is the old library.",
        "It has tall windows, wooden tables and very quiet rooms.",
        "On Sundays I often spend the whole afternoon there.",
        "Sometimes I find a book I never expected to read.",
    )),
    ScriptTake(66, (
        "I am so happy that you could join us tonight!",
        "This is wonderful news, and we should celebrate together.",
        "Everyone laughed and the music was beautiful.",
        "What a lovely, joyful evening it was.",
    )),
    ScriptTake(74, (
        "I am really angry about the way they treated us.",
        "Nobody listened, and the manager just shouted at everyone.",
        "This is unfair, and I will not accept it.",
        "Stop blaming us for your own terrible mistakes!",
    )),
    ScriptTake(82, (
        "I felt very sad when my old friend moved away.",
        "The house seemed empty and lonely without her.",
        "Sometimes I still cry when I read her letters.",
        "I miss those long evenings we spent talking.",
    )),
    ScriptTake(96, (
        "Wow, I did not expect to see you here!",
        "What a surprise, you have changed so much!",
        "Suddenly the lights went out and everyone gasped.",
        "Then the door opened and there was a huge cake.",
    )),
    ScriptTake(57, (
        "The garden behind our house is small but full of plants.",
        "We grow tomatoes, beans and a few kinds of herbs.",
        "Every evening someone waters the beds by hand.",
    )),
    ScriptTake(1, (
        "Good morning, and welcome to the weekly meeting.",
        "We will go through the numbers and then plan the next steps.",
        "Please ask questions whenever something is unclear.",
    )),
)

#: A sentence that no take contains: what the quickstart generates for.
UNSEEN_SENTENCE = (
    "Thank you all for coming today. I am really excited to show you what we built, "
    "and I hope you will enjoy trying it yourselves."
)
