"""Ask 3 Questions: the coaching conversation's logic (issue 5).

`content` reads data/content/ask3.yml; `grids` matches a decision to an option grid;
`dates` reads an appointment date; `summary` builds "My questions for my appointment";
`rehearsal` finds which of the three questions a patient asked, with the teach-back grader.
"""
