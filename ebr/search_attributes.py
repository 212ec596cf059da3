"""Names and Temporal types of the custom search attributes that ebr workflows set."""

BATCH_STATUS = "EbrBatchStatus"
RECIPE_CODE = "EbrRecipeCode"

ALL: dict[str, str] = {BATCH_STATUS: "Keyword", RECIPE_CODE: "Keyword"}
