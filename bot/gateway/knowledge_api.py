"""`GET /api/knowledge/search` and `GET /api/knowledge/procedures/{id}`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from knowledge.service import KnowledgeBase

MAX_QUERY_CHARS = 1000


def knowledge_router(knowledge_base: KnowledgeBase) -> APIRouter:
    router = APIRouter(prefix="/api/knowledge", tags=["knowledge"])

    @router.get("/search")
    def search(
        q: Annotated[str, Query(description="Câu hỏi của người dân")] = "",
        k: Annotated[int, Query(ge=1, le=50)] = 5,
    ) -> dict[str, Any]:
        """Procedures matching a question, with the answerable decision."""
        if not q.strip():
            raise HTTPException(400, "Tham số q (câu hỏi) không được để trống.")
        if len(q) > MAX_QUERY_CHARS:
            raise HTTPException(400, f"Câu hỏi quá dài: tối đa {MAX_QUERY_CHARS} ký tự.")
        return knowledge_base.search(q, k).to_json()

    @router.get("/procedures/{procedure_id}")
    def procedure(procedure_id: str) -> dict[str, Any]:
        """The full record of one procedure."""
        record = knowledge_base.get(procedure_id)
        if record is None:
            raise HTTPException(404, f"Không có thủ tục với mã {procedure_id!r}.")
        return record.model_dump(mode="json")

    return router
