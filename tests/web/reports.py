"""Three short fictional case reviews for the browser tests, in the register of real ones.

No real child, family, place or service is described. One passage deliberately holds
markup-like text (``<``, ``&``, quotes, a ``<script>`` tag) as a report quoting a referral
form might, so the tests can check that every page shows it as text.
"""

from __future__ import annotations

HOSTILE = "\"<b>URGENT</b> & 'not coping' <script>window.__pwned=1</script>\""

BABY_R = f"""Serious Case Review: Baby R
===========================

Harrowfield Local Safeguarding Children Board

Overview report

Ruth Calloway, independent author

May 2014

FICTIONAL: written for the scrkb browser tests. No real child, family, place
or service is described.
\f
1. Introduction
===============

1.1 This serious case review was commissioned by the Harrowfield Local
Safeguarding Children Board (LSCB) following the death of Baby R in August
2013. Baby R was a boy aged eleven weeks. He was taken to hospital with a
head injury and died two days later. His mother's partner was later
convicted of causing his death.

2. Key practice episodes
========================

2.1 At six weeks Baby R was seen by the health visitor, who noticed a small
bruise on his cheek. The mother said that he had hit himself with his own
hand. The explanation was accepted at face value and no referral was made,
although Baby R was not independently mobile and the bruising protocol
required a referral to children's social care and a paediatric examination.

2.2 Two weeks later Baby R was taken to the emergency department with a
swollen arm. He was discharged home the same evening with a diagnosis of a
soft tissue injury. No skeletal survey was done and the attendance was not
linked to the earlier bruise. The hospital did not share the attendance with
the health visitor or the GP.

2.3 The referral form sent by the GP receptionist read {HOSTILE}. It was
logged by the front door team, but the mother's new partner, who had moved
into the flat, was never identified, seen or assessed by any agency. No
agency asked who else lived in the household.

3. Findings
===========

3.1 Professionals were not curious about the men in Baby R's life. The new
partner was an unseen man: he was present at two home visits but was not
spoken to, and his history of domestic abuse towards a previous partner was
known to the police but was not shared with health or children's social
care.

3.2 Information sharing between the emergency department, the GP and the
health visiting service was poor. Each saw one injury in isolation; nobody
saw the pattern of injuries to a non-mobile baby.

4. Recommendations
==================

Recommendation 1: Harrowfield LSCB should ensure that every agency follows
the multi-agency bruising protocol for babies who are not independently
mobile, and should audit its use within six months.

Recommendation 2: Harrowfield Hospitals NHS Trust should make sure that every
attendance of a baby under one year at the emergency department is shared
with the health visitor and the GP.

Recommendation 3: All agencies should identify and assess fathers and male
partners in the household, and record who lives in the home.
"""

CHILD_S = """Local Child Safeguarding Practice Review: Child S
=================================================

Kelderby Safeguarding Children Partnership

Practice review report

Imran Sadiq, independent reviewer

October 2021

FICTIONAL: written for the scrkb browser tests. No real child, family, place
or service is described.
\f
1. Introduction
===============

1.1 This local child safeguarding practice review concerns Child S, a girl
aged fourteen, who was seriously harmed after being sexually exploited by
older men. The review was commissioned by the Kelderby Safeguarding Children
Partnership in March 2021.

2. What happened
================

2.1 Child S went missing from home eleven times in the six months before she
was harmed. Each time she was reported missing by her mother and found by
the police, often in the company of older men in cars. Return home interviews
were offered but only two took place, and their findings were not shared with
her school.

2.2 Her school was worried about her attendance, which fell below sixty per
cent, and about the older men who waited for her at the gates. The
designated safeguarding lead made two referrals that did not meet the
threshold for a child protection enquiry and were stepped down to early
help. The school did not escalate its concerns when it disagreed with these
decisions.

3. Findings
===========

3.1 Child S's voice was not heard. Professionals described her as making
choices, which is adultification: she was a child being groomed, and could
not consent to what was happening to her.

3.2 The pattern of missing episodes, falling attendance and older men was
not seen as a whole, because each agency held one part of it. A strategy
discussion was not held until after she was harmed.

4. Recommendations
==================

Recommendation 1: The partnership should make sure that schools know how to
use the escalation policy when they disagree with a threshold decision.

Recommendation 2: Return home interview findings should be shared with the
child's school and with the missing and exploitation panel.
"""

CHILD_T_HTML = """<!DOCTYPE html>
<html lang="en"><head><title>Child Practice Review: Child T</title></head>
<body>
<h1>Child Practice Review: Child T</h1>
<p>Cwm Teilo Regional Safeguarding Children Board</p>
<p>Concise child practice review, September 2018</p>
<p>FICTIONAL: written for the scrkb browser tests. No real child, family, place or service is described.</p>
<h2>1. Introduction</h2>
<p>1.1 This concise child practice review concerns Child T, a boy aged seven, who
was found by police living in conditions of serious neglect. Child T had not been
seen by a professional for eight months. The review was commissioned by the Cwm
Teilo Regional Safeguarding Children Board in Wales.</p>
<h2>2. Learning</h2>
<p>2.1 Child T was withdrawn from school to be electively home educated. After
that, no professional saw him. The family missed four health appointments and
Child T was recorded as "did not attend", rather than as a child who was not
brought by his parents.</p>
<p>2.2 Home conditions were poor throughout: the house was cold, there was
little food, and Child T had severe dental decay. Each visit treated the
home conditions in isolation and the cumulative harm of chronic neglect was
not recognised.</p>
<p>2.3 His mother's depression and alcohol use were known to adult mental
health services, which did not consider the impact on Child T and did not
share information with children's services.</p>
<h2>3. Recommendations</h2>
<p>Recommendation 1: The Board should make sure that children who are electively
home educated and known to services are seen and spoken to.</p>
<p>Recommendation 2: Health services should record missed appointments for
children as "was not brought" and follow them up.</p>
</body></html>
"""

DRAFT_DOCX_PARAGRAPHS = [
    ("heading", "Draft findings: Baby M"),
    (
        "para",
        "A baby aged eight weeks was seen by the health visitor with a bruise on his ear. "
        "The explanation given by his mother was accepted and he was not referred for a "
        "paediatric examination, although he was not mobile.",
    ),
    (
        "para",
        "The mother's new boyfriend lived in the household but was never assessed. "
        "Agencies did not ask who else lived at the address, and the police did not share "
        "his history of domestic abuse.",
    ),
    (
        "para",
        "The emergency department did not tell the GP or the health visitor about an "
        "attendance with a swollen leg a week later.",
    ),
]

FILES = {
    "harrowfield-baby-r-2014.txt": BABY_R,
    "kelderby-child-s-2021.txt": CHILD_S,
    "cwm-teilo-child-t-2018.html": CHILD_T_HTML,
}
