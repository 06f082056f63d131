"""한국어 메시지. 중괄호 {} 자리는 ``rnn_tui.i18n.tr`` 이 채운다.

한글은 한 글자가 터미널 두 칸을 차지한다: 80×24 에 맞도록 짧게 쓴다.
"""

MESSAGES: dict[str, str] = {
    # status bar
    "status.start": "t = 0/{T}  시작: {h0} = 0",
    "status.substep": "t = {t}/{T}  단계 {k}/{K}: {name}",
    "status.output": "t = {t}/{T}  출력: z, y",
    "status.batch_view": "[배치 보기]",
    "status.playing": "▶ 자동 재생 {speed}/초",
    "phase.1": "x·Wxh",
    "phase.2": "h·Whh",
    "phase.3": "+ 편향",
    # titles
    "title.batch": "배치",
    "title.history": "은닉 상태 기록 ({h0} = 0)",
    "title.step": "t = {t} · 문장 {n}: {text}",
    "title.batch_view": "배치 보기",
    "title.output": "출력",
    "title.narration": "방금 일어난 일",
    "too_small": "터미널을 {w}×{h} 이상으로 키워 주세요.\n"
                 "한 단계 전체를 보여 주려면 그만큼의 공간이 필요합니다.",
    # words
    "word.pad": "·패딩",
    "word.padding": "패딩",
    "word.sum": "합",
    # panels
    "history.empty": "{h0} = 0: 아직 기억이 없음",
    "input.start": "{h0} = 0: 아직 기억이 없음.\n→ 를 누르면 첫 토큰을 읽음.",
    "input.ended": "문장 {n} 은 끝났음:\n{h} = {h_prev} (그대로 전달)",
    "input.picks_row": ": 원-핫 x 가 {row}행을 고름",
    "sum.broadcast": "{shape} 로 브로드캐스트",
    "sum.per_unit": "은닉 노드마다 하나씩",
    "equation.padding": "(패딩: 문장이 끝났음)",
    "batch.broadcast": "브로드캐스트\n→ {shape}",
    "output.read_at": "문장 {n}: {text} · many-to-one: t = {t} 뒤에 한 번 출력",
    "output.prediction": "예측 {pred}  (y ≥ 0.5 → 1, 아니면 0)",
    "output.target": "목표 {target}",
    "output.right": "✓ 맞음",
    "output.wrong": "✗ 틀림",
    "output.loss": "손실 = −[목표·log y + (1−목표)·log(1−y)] = {loss}",
    "output.batch_title": "배치 전체:",
    "output.predictions": "예측 [{pred}]ᵀ",
    "output.targets": "목표 [{target}]ᵀ",
    "output.mean_loss": "문장 {B}개의 평균 손실 = {loss}",
    # messages
    "msg.at_end": "이미 끝에 있음",
    "msg.at_start": "이미 처음에 있음",
    "msg.no_sentence": "문장 {n} 은 없음",
    # narration
    "narr.start": "{h0} = 0: 아직 기억이 없다. → 를 누르면 문장 {n} 이 첫 토큰 "
                  "'{token}' 을 읽는다.",
    "narr.input": "'{token}' 은 {onehot} 이므로 {x}·Wxh 는 Wxh 의 {row}행 그대로: "
                  "{value}. 원-핫 벡터 × 행렬 = 한 행 고르기.",
    "narr.padding": "문장 {n} 은 t = {length} 에서 끝났다: 그 뒤 입력은 패딩이고 "
                    "기억은 그대로 전달된다, {h} = {h_prev}.",
    "narr.recurrent_first": "{h0} 는 모두 0 이므로 {h0}·Whh = {value}: 첫 토큰에서는 "
                            "더할 기억이 아직 없다.",
    "narr.recurrent": "기억: {h_prev} = {hv} 에 Whh 를 곱하면 {value}. t = {t} 이전 "
                      "토큰들이 이렇게 이 단계에 전해진다.",
    "narr.bias_scalar": "편향 하나 {bias} 를 은닉 노드 {hidden}개 모두에 더한다 "
                        "(브로드캐스트): 활성화 전의 합은 {sum}.",
    "narr.bias_vector": "은닉 노드마다 자기 편향 {bias} 를 더한다: 활성화 전의 합은 {sum}.",
    "narr.act_tanh": "tanh 는 각 값을 (−1, 1) 로 누른다: {pre} → {h} = {value}.",
    "narr.act_relu": "relu 는 양수는 그대로, 음수는 0 으로: {pre} → {h} = {value}. "
                     "위로는 한계가 없다.",
    "narr.act_sigmoid": "sigmoid 는 각 값을 (0, 1) 로 누른다: {pre} → {h} = {value}.",
    "narr.last": "{h} 가 이 문장의 마지막 은닉 상태: 출력은 이것만 읽는다.",
    "narr.output": "many-to-one: {h} 만 출력으로 간다. z = {h}·Wy + By = {z}, "
                   "y = sigmoid(z) = {y}, 그래서 예측은 {pred}.",
    "narr.right": "목표는 {target}: 맞음, 손실 {loss}.",
    "narr.wrong": "목표는 {target}: 틀림, 손실 {loss}.",
    # keys (footer) and help
    "key.next": "단계",
    "key.step": "시간 단계",
    "key.back": "뒤로",
    "key.back_step": "시간 단계 뒤로",
    "key.reset": "처음으로",
    "key.end": "끝까지",
    "key.up": "문장",
    "key.down": "다음 문장",
    **{f"key.n{i}": f"문장 {i}" for i in range(1, 10)},
    "key.batch": "배치",
    "key.play": "재생",
    "key.faster": "빠르게",
    "key.slower": "느리게",
    "key.lang": "언어",
    "key.help": "도움말",
    "key.quit": "끝내기",
    "key.close": "닫기",
    "help.title": "키",
    "help.hint": "마우스는 필요 없다. ? 나 esc 를 누르면 닫힌다.",
    "help.next": "다음 단계: x·Wxh, 그다음 h·Whh, + 편향, 활성화",
    "help.step": "다음 시간 단계 전체",
    "help.back": "한 단계 뒤로",
    "help.back_step": "시간 단계 하나 뒤로",
    "help.reset": "t = 0 으로 되돌리기",
    "help.end": "끝까지 진행하고 출력 보기",
    "help.select": "문장 고르기",
    "help.batch": "배치 보기: 같은 단계를 배치 전체 행렬로",
    "help.play": "자동 재생 / 멈춤",
    "help.speed": "자동 재생 빠르게 / 느리게",
    "help.lang": "언어: English / 한국어",
    "help.theme": "테마: 기본 / 프로젝터 (고대비)",
    "key.theme": "테마",
    "help.help": "이 도움말",
    "help.quit": "끝내기",
}
