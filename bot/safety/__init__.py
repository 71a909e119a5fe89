"""The safety net: red-flag detection on every inbound message, before the dialogue engine.

`detector` decides (pure, no I/O); `net` turns a decision into replies, flags for the care
team and pending yes/no questions; `replies` reads the texts from data/content/safety.yml.
"""

# Turn metadata on the message that raised a safety question, sent on to the engine after
# the patient answered "no": the gateway has just replied, so the engine does not add its
# "sorry, I didn't understand" when it cannot place the words (actions/conversation.py).
AFTER_NO_KEY = "coach_after_safety_no"
