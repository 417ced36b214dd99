"""Which procedure a question is about, and the answer to give.

Order of evidence: the procedure the NLU extracted from this message; then retrieval on
the message; then the procedure already in the conversation, for follow-ups ("còn lệ phí
thì sao?", "mất bao lâu?") that name none. A follow-up that names something the catalogue
does not hold is declined rather than answered about the previous procedure.
"""

from __future__ import annotations

from bot.messages import citizen_words
from knowledge.answers import (
    Answer,
    answer_for,
    clarification,
    display_name,
    not_found,
    which_procedure,
)
from knowledge.service import KnowledgeBase


def respond(
    knowledge_base: KnowledgeBase,
    intent: str,
    text: str,
    *,
    entity_procedure: str | None = None,
    context_procedure: str | None = None,
    brief: bool = False,
) -> Answer:
    """The grounded answer to a knowledge question; never raises on odd text."""
    question = citizen_words(text)
    result = knowledge_base.search(question, 3)
    if result.uncovered_match is not None:
        # "thi bằng lái" names "bằng lái" but asks about the driving test, which the
        # catalogue does not hold: an out-of-catalogue match outranks the entity.
        return not_found(result.uncovered_match)
    named = knowledge_base.get(entity_procedure) if entity_procedure else None
    if named is not None:
        return answer_for(named, intent, brief)

    in_context = knowledge_base.get(context_procedure) if context_procedure else None
    if result.answerable and result.best is not None:
        candidates = [hit.id for hit in result.results]
        if result.ambiguous and in_context is not None and in_context.id in candidates:
            return answer_for(in_context, intent, brief)
        if result.ambiguous:
            names = {p.id: display_name(p) for p in knowledge_base.procedures}
            return clarification(result, intent, names)
        procedure = knowledge_base.get(result.best.id)
        if procedure is not None:
            return answer_for(procedure, intent, brief)

    if in_context is not None and not knowledge_base.retriever.lexical.unknown_words(question):
        return answer_for(in_context, intent, brief)
    if knowledge_base.retriever.lexical.has_content(question):
        return not_found()
    return which_procedure()
