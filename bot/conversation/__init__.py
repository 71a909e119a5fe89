"""Conversations that follow the patient (issue 17): stepping out of a dialogue and back in,
stopping, going back, correcting an answer, typed answers to buttons, medicine questions.

Pure functions and content only; the Rasa actions in actions/conversation.py and the one
slot-validation base class in actions/base.py call them.
"""
