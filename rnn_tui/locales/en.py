"""English messages. Placeholders in {braces} are filled by ``rnn_tui.i18n.tr``."""

MESSAGES: dict[str, str] = {
    # status bar
    "status.start": "t = 0/{T}  start: {h0} = 0",
    "status.substep": "t = {t}/{T}  sub-step {k}/{K}: {name}",
    "status.output": "t = {t}/{T}  output: z, y",
    "status.batch_view": "[batch view]",
    "status.playing": "▶ playing {speed}/s",
    "phase.1": "x·Wxh",
    "phase.2": "h·Whh",
    "phase.3": "+ bias",
    # titles
    "title.batch": "batch",
    "title.history": "h history ({h0} = 0)",
    "title.step": "step t = {t} · sentence {n}: {text}",
    "title.batch_view": "batch view",
    "title.output": "output",
    "title.narration": "what just happened",
    "too_small": "Enlarge the terminal to {w}×{h} (or more).\n"
                 "rnn-tui needs that much room to show a whole step.",
    # words
    "word.pad": "·pad",
    "word.padding": "padding",
    "word.sum": "sum",
    # panels
    "history.empty": "{h0} = 0: nothing remembered yet",
    "input.start": "{h0} = 0: nothing remembered yet.\nPress → to read the first token.",
    "input.ended": "sentence {n} has ended:\n{h} = {h_prev} (carried)",
    "input.picks_row": ": one-hot x picks row {row}",
    "sum.broadcast": "broadcast to {shape}",
    "sum.per_unit": "one per hidden node",
    "equation.padding": "(padding: the sentence has ended)",
    "batch.broadcast": "broadcast\nto {shape}",
    "output.read_at": "sentence {n}: {text} · many-to-one: read once, after t = {t}",
    "output.prediction": "prediction {pred}  (y ≥ 0.5 → 1, else 0)",
    "output.target": "target {target}",
    "output.right": "✓ right",
    "output.wrong": "✗ wrong",
    "output.loss": "loss = −[target·log y + (1−target)·log(1−y)] = {loss}",
    "output.batch_title": "whole batch:",
    "output.predictions": "prediction [{pred}]ᵀ",
    "output.targets": "target [{target}]ᵀ",
    "output.mean_loss": "mean loss over {B} sentences = {loss}",
    # messages
    "msg.at_end": "already at the end",
    "msg.at_start": "already at the start",
    "msg.no_sentence": "there is no sentence {n}",
    # narration
    "narr.start": "{h0} = 0: nothing is remembered yet. Press → and sentence {n} reads "
                  "its first token, '{token}'.",
    "narr.input": "'{token}' is {onehot}, so {x}·Wxh is simply row {row} of Wxh: {value}. "
                  "A one-hot vector times a matrix picks a row.",
    "narr.padding": "Sentence {n} ended at t = {length}: past its end the input is padding "
                    "and the memory is carried, {h} = {h_prev}.",
    "narr.recurrent_first": "{h0} is all zeros, so {h0}·Whh = {value}: at the first token "
                            "there is no memory to add yet.",
    "narr.recurrent": "The memory: {h_prev} = {hv} times Whh gives {value}. This is how the "
                      "tokens before t = {t} reach this step.",
    "narr.bias_scalar": "The one bias {bias} is added to all {hidden} hidden nodes "
                        "(broadcast): the sum before the activation is {sum}.",
    "narr.bias_vector": "Each hidden node adds its own bias {bias}: the sum before the "
                        "activation is {sum}.",
    "narr.act_tanh": "tanh squashes each entry into (−1, 1): {pre} becomes {h} = {value}.",
    "narr.act_relu": "relu keeps positive entries and zeroes negative ones: {pre} becomes "
                     "{h} = {value}. Nothing bounds it from above.",
    "narr.act_sigmoid": "sigmoid squashes each entry into (0, 1): {pre} becomes {h} = {value}.",
    "narr.last": "{h} is this sentence's last hidden state: the only one the output reads.",
    "narr.output": "Many-to-one: only {h} reaches the output. z = {h}·Wy + By = {z}, "
                   "y = sigmoid(z) = {y}, so the prediction is {pred}.",
    "narr.right": "The target is {target}: right, with loss {loss}.",
    "narr.wrong": "The target is {target}: wrong, with loss {loss}.",
    # keys (footer) and help
    "key.next": "Sub-step",
    "key.step": "Step",
    "key.back": "Back",
    "key.back_step": "Back a step",
    "key.reset": "Reset",
    "key.end": "Run to the end",
    "key.up": "Sentence",
    "key.down": "Next sentence",
    **{f"key.n{i}": f"Sentence {i}" for i in range(1, 10)},
    "key.batch": "Batch",
    "key.play": "Play",
    "key.faster": "Faster",
    "key.slower": "Slower",
    "key.lang": "Language",
    "key.help": "Help",
    "key.quit": "Quit",
    "key.close": "Close",
    "help.title": "Keys",
    "help.hint": "No key needs a mouse. Press ? or esc to close.",
    "help.next": "next sub-step: x·Wxh, h·Whh, + bias, activation",
    "help.step": "next whole time step",
    "help.back": "back one sub-step",
    "help.back_step": "back one whole time step",
    "help.reset": "reset to t = 0",
    "help.end": "run to the end and show the output",
    "help.select": "select a sentence",
    "help.batch": "batch view: the same step as whole-batch matrices",
    "help.play": "autoplay / pause",
    "help.speed": "autoplay faster / slower",
    "help.lang": "language: English / 한국어",
    "help.theme": "theme: default / projector (high contrast)",
    "key.theme": "Theme",
    "help.help": "this help",
    "help.quit": "quit",
}
