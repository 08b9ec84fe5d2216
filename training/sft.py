"""Supervised fine-tuning of a web agent on a webtrail dataset, with TRL's SFTTrainer.

Takes a folder written by `webtrail export` (or the sink's own dataset folder) and trains on it; the loss
is on the agent's replies only: the completion of the prompt/completion form, or the assistant turns of
the chat form (`assistant_only_loss`). Versions are pinned in training/requirements-train.txt.

On a GPU box, with a real model (downloaded from the Hub by transformers):

    python training/sft.py --data ./publish --model Qwen/Qwen2.5-1.5B-Instruct --output ./runs/qwen-webtrail \\
        --epochs 2 --batch-size 4 --grad-accum 8 --lr 1e-5 --max-length 8192 --bf16

On a CPU, to check the recipe end to end with nothing downloaded (`npm run train:check` does this): a tiny
model built from a config and a tokenizer trained on the dataset itself.

    python training/sft.py --data ./publish --tiny --output /tmp/sft --max-steps 80

It prints one JSON line at the end: {"losses": [...], "first": ..., "last": ..., "steps": ..., "examples": ...,
"trained_token_share": the share of a batch's tokens that carry loss (the replies; the pages do not)}.
"""
import argparse
import json
import math
import sys

from datasets import load_dataset

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}<|assistant|>{% generation %}{{ message['content'] }}<|end|>{% endgeneration %}"
    "{% else %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|unk|>"]


def texts_of(dataset):
    """Every message's text, for training the tiny tokenizer."""
    for row in dataset:
        for column in ("messages", "prompt", "completion"):
            for message in row.get(column) or []:
                yield message["content"]


def tiny_model_and_tokenizer(dataset, vocab_size: int):
    """A byte-level BPE tokenizer trained on the dataset and a 2-layer Qwen2-shaped model from a config."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    bpe = Tokenizer(models.BPE(unk_token="<|unk|>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts_of(dataset), trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<|pad|>", eos_token="<|end|>", unk_token="<|unk|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=4096, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    return Qwen2ForCausalLM(config), tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a dataset folder (webtrail export, or the sink's)")
    parser.add_argument("--model", default="Qwen/Qwen2.5-1.5B-Instruct", help="model name or path (ignored with --tiny)")
    parser.add_argument("--tiny", action="store_true", help="a tiny model and tokenizer built here: CPU check, nothing downloaded")
    parser.add_argument("--output", required=True)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--grad-accum", type=int, default=1)
    parser.add_argument("--lr", type=float, default=None, help="default 1e-5, or 3e-3 with --tiny")
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from trl import SFTConfig, SFTTrainer

    dataset = load_dataset(args.data, split="train")
    if "completion" in dataset.column_names:
        form = {"completion_only_loss": True}
    elif "messages" in dataset.column_names:
        form = {"assistant_only_loss": True}
    else:
        sys.exit(f"{args.data}: neither a prompt/completion nor a messages dataset (columns: {dataset.column_names})")
    keep = {"messages", "prompt", "completion"}
    dataset = dataset.remove_columns([c for c in dataset.column_names if c not in keep])

    if args.tiny:
        model, tokenizer = tiny_model_and_tokenizer(dataset, vocab_size=2000)
    else:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype="auto")
        if "assistant_only_loss" in form and "generation" not in (tokenizer.chat_template or ""):
            sys.exit(f"{args.model}'s chat template has no {{% generation %}} markers, which TRL's assistant_only_loss needs to find the "
                     "replies in the chat form: export the prompt/completion form instead (webtrail export --form prompt-completion)")

    config = SFTConfig(
        output_dir=args.output, num_train_epochs=args.epochs, max_steps=args.max_steps, per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum, learning_rate=args.lr if args.lr is not None else (3e-3 if args.tiny else 1e-5),
        lr_scheduler_type="constant" if args.tiny else "cosine", warmup_steps=0 if args.tiny else 10, max_length=args.max_length,
        logging_steps=1, save_strategy="no", report_to="none", bf16=args.bf16, use_cpu=args.tiny, seed=args.seed,
        dataset_num_proc=1, **form,
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    # Which tokens carry loss, on a batch as the trainer builds it: the replies should, the pages not.
    sample = trainer.data_collator([trainer.train_dataset[i] for i in range(min(32, len(trainer.train_dataset)))])
    trained_tokens = int((sample["labels"] != -100).sum())
    all_tokens = int(sample["attention_mask"].sum()) if "attention_mask" in sample else int(sample["labels"].numel())
    trainer.train()
    if not args.tiny:
        trainer.save_model(args.output)
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry and math.isfinite(entry["loss"])]
    print(json.dumps({"losses": losses, "first": losses[0] if losses else None, "last": losses[-1] if losses else None, "steps": trainer.state.global_step, "examples": len(dataset),
                      "trained_token_share": trained_tokens / all_tokens, **form}))


if __name__ == "__main__":
    main()
