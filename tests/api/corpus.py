"""Four fictional case reviews, as plain-text reports look after conversion.

Written for these tests in the register of published reviews; no real child, family,
place or service is described. They differ in nation, year, review type and age band
so that filters and facets have something to separate, and share some themes (and
not others) so that co-occurrence, similarity and precedent have structure to find.
"""

from __future__ import annotations

from pathlib import Path

NOTICE = "FICTIONAL: written for the scrkb test suite. No real child, family, place or service is described."


def _report(title: str, front: list[str], sections: list[tuple[str, list[str]]]) -> str:
    lines = [title, "=" * len(title), ""]
    for line in [*front, NOTICE]:
        lines += [line, ""]
    pages = ["\n".join(lines)]
    for heading, paragraphs in sections:
        body = [heading, "-" * len(heading), ""]
        for para in paragraphs:
            body += [para, ""]
        pages.append("\n".join(body))
    return "\n\f".join(pages) + "\n"


REPORTS: dict[str, str] = {
    "ambleside-baby-r-2015.txt": _report(
        "Serious Case Review: Baby R",
        [
            "Ambleside Vale Local Safeguarding Children Board",
            "Overview report",
            "Published May 2015",
        ],
        [
            (
                "1. Introduction",
                [
                    "1.1 This serious case review was commissioned by the Ambleside Vale Local Safeguarding Children Board after Baby R, a boy aged eleven weeks, was admitted to hospital with a skull fracture and bruising to his face and chest. Doctors concluded that the injuries were non-accidental. Baby R survived and now lives with his paternal grandparents. The review covers the period from the mother's booking for antenatal care to Baby R's admission.",
                ],
            ),
            (
                "2. Key practice episodes",
                [
                    "2.1 When Baby R was seven weeks old his mother took him to the emergency department with a small bruise on his cheek. She said that his older cousin had hit him with a toy. The triage nurse recorded the explanation and the doctor accepted it. Baby R was discharged home and no referral was made to children's social care, although the hospital's bruising protocol says that any bruise on a non-mobile baby must be discussed with a paediatrician and referred.",
                    "2.2 The health visitor saw Baby R at home two days later. She noted that the bruise had faded and recorded the explanation given at the hospital. She did not ask who else lived in the home or looked after the baby. The mother's new partner, Mr S, had moved into the flat a month earlier. He was never seen by any professional and no checks were made with the police, who held records of his violence towards a previous partner.",
                    "2.3 The GP practice received the emergency department discharge letter but it was filed without being read by a doctor. Two weeks later Baby R was taken to the walk-in centre with a swollen arm; the attendance was not linked to the earlier visit to the emergency department and the repeated attendances were not connected.",
                ],
            ),
            (
                "3. Findings",
                [
                    "3.1 Bruising in a baby who is not yet mobile is rare and must always be treated as a possible sign of abuse. Professionals accepted the explanation for the bruise at face value. The review found that practitioners lacked the professional curiosity to question an account that did not fit the baby's stage of development, and that the bruising protocol was not well known among emergency department staff.",
                    "3.2 The mother's new partner was an unseen man. Professionals focused on the mother and the baby and did not identify, assess or engage the men in Baby R's life. Assessment of the household did not take account of a new partner joining it, and information held by the police about his history of domestic abuse was never shared with health services.",
                ],
            ),
            (
                "4. Recommendations",
                [
                    "Recommendation 1: The LSCB should relaunch the bruising protocol for non-mobile babies with training for emergency department, walk-in centre and GP staff, and audit its use within six months.",
                    "Recommendation 2: Health visiting and midwifery services should record every adult living in or regularly visiting the household, including new partners, and share this information with children's social care when there are concerns.",
                ],
            ),
        ],
    ),
    "cwm-tawel-child-t-2019.txt": _report(
        "Child Practice Review: Child T",
        [
            "Cwm Tawel Regional Safeguarding Children Board",
            "Extended child practice review",
            "Published October 2019",
        ],
        [
            (
                "1. Introduction",
                [
                    "1.1 This extended child practice review was commissioned by the Cwm Tawel Regional Safeguarding Children Board in Wales. It concerns Child T, a girl aged fifteen, who was sexually exploited by a group of older men over eighteen months. Child T is now safe and has contributed to this review, and her words appear in it with her agreement.",
                ],
            ),
            (
                "2. Summary of the case",
                [
                    "2.1 Child T went missing from home eleven times in six months. On each occasion she was reported missing by her mother and found by the police within a day, often in the company of adult men in cars. Return home interviews were offered on three occasions but not completed, and the pattern of missing episodes was not analysed by any agency.",
                    "2.2 Her school recorded that her attendance fell from ninety-five per cent to below fifty per cent in the same period. She was excluded for a fixed term after an argument with a teacher. The designated safeguarding lead was not told of the exclusion, and the school did not connect her absence with the concerns about exploitation that the police had shared at a strategy meeting.",
                    "2.3 Child T told the review that no one asked her what was happening: 'they talked to my mum and they talked about me, but nobody talked to me'. Her voice and lived experience were missing from assessments, which described her as making choices and putting herself at risk.",
                ],
            ),
            (
                "3. Learning",
                [
                    "3.1 Child sexual exploitation and grooming by older men must be recognised as abuse, whatever a young person appears to agree to. Language that blames children, such as 'putting herself at risk', hides the exploitation and leads to the wrong response. Agencies did not see the links between going missing, falling attendance, exclusion and the older men she was seen with.",
                    "3.2 Multi-agency working was weak. Strategy discussions were held, but education and health were not invited to two of them, and actions were not followed up. No lead professional co-ordinated the plan and agencies worked in silos.",
                ],
            ),
            (
                "4. Recommendations",
                [
                    "Recommendation 1: The Board should ensure that every child reported missing is offered a return home interview by an independent worker, and that missing episodes are analysed for patterns of exploitation.",
                    "Recommendation 2: Schools should inform the designated safeguarding lead of every exclusion of a child known to be at risk of exploitation, and be invited to every strategy discussion about such a child.",
                ],
            ),
        ],
    ),
    "glenmorar-child-n-2021.txt": _report(
        "Learning Review: Child N",
        [
            "Glenmorar Child Protection Committee",
            "Learning review report",
            "Published March 2021",
        ],
        [
            (
                "1. Introduction",
                [
                    "1.1 This learning review was commissioned by the Glenmorar Child Protection Committee in Scotland. Child N, a boy aged three, was admitted to hospital severely underweight, with untreated dental decay and developmental delay. His two older siblings were also found to be living in very poor home conditions. All three children are now looked after.",
                ],
            ),
            (
                "2. What happened",
                [
                    "2.1 Child N was not brought to seven health appointments over two years, including his developmental review and three dental appointments. Each missed appointment was recorded as 'did not attend', and after the third the dental service discharged him. No one asked why a small child was repeatedly not brought, or told the health visitor.",
                    "2.2 The family had been known to children's services for eight years. Concerns about neglect were raised by the nursery, a neighbour and the children's grandmother. Each referral was assessed on its own, found not to meet the threshold for a child protection investigation, and closed with advice. Previous history was not considered and the cumulative impact of neglect was not recognised.",
                    "2.3 When a child protection plan was finally made, it drifted. Core group meetings were cancelled, the social worker changed three times in a year and the plan's actions were not reviewed. The family's poverty and overcrowded temporary accommodation were noted but no help with housing was offered.",
                ],
            ),
            (
                "3. Findings",
                [
                    "3.1 Neglect is cumulative: its harm comes from the weight of many small failures over time. The start again syndrome, treating each concern in isolation, meant that the chronology that would have shown the pattern was never put together. Professionals were over-optimistic about the parents' capacity to change, and the rule of optimism went unchallenged in supervision.",
                    "3.2 Missed health appointments should be understood as a child not being brought, and as a possible indicator of neglect. Recording them as the child's non-attendance shifted the responsibility from the parents to a three-year-old.",
                ],
            ),
            (
                "4. Recommendations",
                [
                    "Recommendation 1: Health services should adopt a 'was not brought' policy under which a child who misses two appointments is followed up with the health visitor or school nurse before any discharge.",
                    "Recommendation 2: The Committee should require a chronology and an analysis of cumulative harm before any referral about neglect is closed, and audit how supervision challenges drift and delay in child protection plans.",
                ],
            ),
        ],
    ),
    "harrowfield-child-d-2023.txt": _report(
        "Local Child Safeguarding Practice Review: Child D",
        [
            "Harrowfield Safeguarding Children Partnership",
            "Local child safeguarding practice review",
            "Published November 2023",
        ],
        [
            (
                "1. Introduction",
                [
                    "1.1 This local child safeguarding practice review was commissioned by the Harrowfield Safeguarding Children Partnership. Child D, a girl aged seven, was seriously injured during an assault by her father on her mother. The family had been known to police and to the domestic abuse service for three years, and the case had been heard at MARAC twice.",
                ],
            ),
            (
                "2. Practice episodes",
                [
                    "2.1 The police were called to the family home nine times in three years. On each occasion officers completed a DASH risk assessment, and twice the risk was graded high and the case referred to MARAC. The notifications sent to children's social care described Child D as 'in bed upstairs' and she was never spoken to. Child D's school was not informed of the incidents and did not know that she was living with domestic abuse.",
                    "2.2 The mother was being treated by her GP for depression and anxiety, and had twice been assessed by the adult mental health crisis team after taking an overdose. The mental health service did not ask whether she had children, and the GP did not share the mother's disclosure of coercive control with children's social care because she believed that consent was needed.",
                    "2.3 The school's designated safeguarding lead was worried about Child D's tiredness and her frequent absences, and twice asked children's social care to review the case. When the referral did not meet the threshold for an assessment, the school did not challenge the decision or use the escalation policy, although staff remained worried.",
                ],
            ),
            (
                "3. Findings",
                [
                    "3.1 Information sharing between adult and children's services was poor. Professionals misunderstood data protection and believed that they could not share information about domestic abuse without the mother's consent. As a result no agency held the whole picture of the risks to Child D.",
                    "3.2 Professionals did not challenge one another or escalate their disagreements. The review heard that practitioners were reluctant to question the decisions of colleagues in other agencies, and that the resolution of professional differences policy was seen as a last resort rather than a normal part of practice.",
                ],
            ),
            (
                "4. Recommendations",
                [
                    "Recommendation 1: The Partnership should issue clear guidance that information about domestic abuse may and should be shared without consent where a child may be at risk of significant harm, and train GP and adult mental health staff in its use.",
                    "Recommendation 2: The Partnership should promote its escalation policy so that professional challenge is routine, and ask schools to report each time they escalate a disagreement about a threshold decision.",
                ],
            ),
        ],
    ),
}

# A fifth review, kept apart: the concurrency test ingests it while searching.
EXTRA_REPORT = (
    "marlstone-baby-k-2024.txt",
    _report(
        "Rapid Review: Baby K",
        [
            "Marlstone Safeguarding Children Partnership",
            "Rapid review report",
            "Published February 2024",
        ],
        [
            (
                "1. Introduction",
                [
                    "1.1 Baby K, a girl aged nine weeks, died after co-sleeping on a sofa with her father, who had been drinking alcohol. The partnership completed this rapid review within fifteen working days of the notification, and found learning about safer sleep advice and parental substance misuse.",
                ],
            ),
            (
                "2. Learning",
                [
                    "2.1 Safer sleep advice had been given to the mother by the midwife and the health visitor, but never to the father, who was the parent most often caring for Baby K at night. His alcohol use was known to the GP but was not shared with the health visitor, and no one considered how it affected the risk of sudden unexpected death in infancy.",
                ],
            ),
        ],
    ),
)


def write_reports(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in REPORTS.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
