import DiscordWire
import Foundation
import Testing

@testable import DiscordEmulator

@Suite("CozeAnswerGenerator")
struct CozeAnswerGeneratorTests {
    @Test func answerIsDeterministicAndSeeded() {
        let prompt = "<@42> How should I plan my week?"
        let first = CozeAnswerGenerator.answer(prompt: prompt, previousPrompt: nil, seed: 1)
        #expect(first == CozeAnswerGenerator.answer(prompt: prompt, previousPrompt: nil, seed: 1))
        let otherSeeds = (2...6).map { CozeAnswerGenerator.answer(prompt: prompt, previousPrompt: nil, seed: $0) }
        #expect(otherSeeds.allSatisfy { $0 != first })
        let otherPrompt = CozeAnswerGenerator.answer(prompt: "<@42> What is a good book?", previousPrompt: nil, seed: 1)
        #expect(otherPrompt != first)
    }

    @Test func mentionMarkerAndWhitespaceDoNotChangeTheAnswer() {
        let plain = CozeAnswerGenerator.answer(prompt: "tell me a story", previousPrompt: nil, seed: 7)
        for variant in [
            "<@42> tell me a story", "tell me a story \n <@42>", "<@!42>tell  me a [scenario:long] story",
            "[scenario:rewrite] tell me a story",
        ] {
            #expect(CozeAnswerGenerator.answer(prompt: variant, previousPrompt: "x", seed: 7) == plain)
        }
    }

    /// Frozen: the vocabulary, FNV-1a and SplitMix64 are a contract with every test that
    /// computes expected text, in Swift or elsewhere. Update deliberately.
    @Test func answerShape() {
        let answer = CozeAnswerGenerator.answer(prompt: "How do I start a garden?", previousPrompt: nil, seed: 1)
        let lines = answer.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5)
        #expect(lines[1].hasPrefix("1. ") && lines[2].hasPrefix("2. ") && lines[3].hasPrefix("3. "))
        #expect(lines.allSatisfy { $0.hasSuffix(".") || $0.hasSuffix(":") })
        #expect(answer.count < 500)
    }

    @Test func fnvAndSplitMixAreTheStandardAlgorithms() {
        #expect(CozeAnswerGenerator.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(CozeAnswerGenerator.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(CozeAnswerGenerator.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        var random = SplitMix64(state: 0)
        #expect(random.next() == 0xe220_a839_7b1d_cdaf)
        #expect(random.next() == 0x6e78_9e6a_a1b9_65f4)
    }

    @Test func memoryRule() {
        #expect(
            CozeAnswerGenerator.answer(prompt: "<@42> what did I say before?", previousPrompt: nil, seed: 1)
                == "You have not said anything before.")
        #expect(
            CozeAnswerGenerator.answer(
                prompt: "<@42> What did I say before?", previousPrompt: "<@42> I like   green apples [scenario:slow]",
                seed: 1) == "You said before: \"I like green apples\".")
        let long = String(repeating: "a", count: 3000)
        let quoted = CozeAnswerGenerator.answer(prompt: "what did I say before?", previousPrompt: long, seed: 1)
        #expect(quoted == "You said before: \"" + String(repeating: "a", count: 1500) + "…\".")
    }

    @Test func textFileIsThePrompt() {
        let text = "How do I start a garden?\n"
        let file = CozeAnswerGenerator.PromptFile(filename: "q.txt", contentType: nil, bytes: Array(text.utf8))
        let answer = CozeAnswerGenerator.answer(prompt: "<@42> see file", previousPrompt: nil, seed: 3, files: [file])
        let direct = CozeAnswerGenerator.answer(prompt: text, previousPrompt: nil, seed: 3)
        #expect(answer == "I read your file q.txt (25 characters). " + direct)
        #expect(CozeAnswerGenerator.effectivePrompt(content: "<@42> see file", files: [file]) == text)
    }

    @Test func imageFilesArePrefixed() {
        let png = CozeAnswerGenerator.PromptFile(filename: "cat.PNG", contentType: nil, bytes: [1, 2, 3])
        let typed = CozeAnswerGenerator.PromptFile(filename: "blob", contentType: "image/webp", bytes: [1])
        let other = CozeAnswerGenerator.PromptFile(
            filename: "a.bin", contentType: "application/octet-stream", bytes: [1])
        let answer = CozeAnswerGenerator.answer(
            prompt: "<@42> look", previousPrompt: nil, seed: 3, files: [png, other, typed])
        let direct = CozeAnswerGenerator.answer(prompt: "look", previousPrompt: nil, seed: 3)
        #expect(answer == "I see an image named cat.PNG (3 bytes). I see an image named blob (1 bytes). " + direct)
    }

    @Test func chunksAreCumulativeWordPrefixes() {
        let answer = CozeAnswerGenerator.answer(prompt: "chunks", previousPrompt: nil, seed: 9)
        for count in [1, 2, 3, 4, 7, 1000] {
            let chunks = CozeAnswerGenerator.chunks(of: answer, count: count)
            let words = answer.split(whereSeparator: \.isWhitespace).count
            #expect(chunks.count == min(count, words))
            #expect(chunks.last == answer)
            for (earlier, later) in zip(chunks, chunks.dropFirst()) {
                #expect(later.hasPrefix(earlier) && later.count > earlier.count)
                #expect(later[later.index(later.startIndex, offsetBy: earlier.count)].isWhitespace)
            }
            #expect(chunks.allSatisfy { !$0.isEmpty && !($0.last!.isWhitespace) })
        }
        #expect(CozeAnswerGenerator.chunks(of: "one two three four", count: 2) == ["one two", "one two three four"])
        #expect(CozeAnswerGenerator.chunks(of: "one", count: 0) == ["one"])
        #expect(CozeAnswerGenerator.chunks(of: "", count: 4) == [""])
    }

    @Test func suggestionsAreThreeShortDistinctLabels() {
        for seed in UInt64(0)..<20 {
            let answer = CozeAnswerGenerator.answer(prompt: "topic \(seed)", previousPrompt: nil, seed: seed)
            let labels = CozeAnswerGenerator.suggestions(for: answer, seed: seed)
            #expect(labels.count == 3)
            #expect(Set(labels).count == 3)
            #expect(labels.allSatisfy { !$0.isEmpty && $0.count <= 80 })
            #expect(labels == CozeAnswerGenerator.suggestions(for: answer, seed: seed))
        }
    }

    @Test func longAnswerSplitsUnderTheLimit() {
        let answer = CozeAnswerGenerator.answer(prompt: "long one", previousPrompt: nil, seed: 5)
        for messages in [1, 2, 3, 5] {
            let parts = CozeAnswerGenerator.longAnswer(answer: answer, seed: 5, messages: messages)
            #expect(parts.count == max(messages, 2))
            #expect(parts[0].hasPrefix(answer + "\n\n"))
            #expect(parts.allSatisfy { $0.count <= 2000 && $0.count >= 1400 })
            #expect(parts.reduce(0) { $0 + $1.count } > 2000)
        }
    }

    @Test func draftRenderingRewritesListMarkers() {
        #expect(
            CozeAnswerGenerator.draftRendering(of: "Intro:\n1. a\n2. b\n10.\nx 1. y")
                == "Intro:\n1) a\n2) b\n10)\nx 1. y")
        #expect(CozeAnswerGenerator.draftRendering(of: "1.5 is not a marker") == "1.5 is not a marker")
    }

    @Test func replyTextsPerScenario() {
        let prompt = "<@42> draw me a cat"
        let answer = CozeAnswerGenerator.answer(prompt: prompt, previousPrompt: nil, seed: 2)
        func texts(_ scenario: CozeScenario) -> [String] {
            CozeAnswerGenerator.replyTexts(
                scenario: scenario, prompt: prompt, previousPrompt: nil, seed: 2, baseURL: "http://127.0.0.1:9")
        }
        for scenario in [CozeScenario.plain, .slow, .noSuggestions, .rewrite, .imageEmbed, .imageAttachment] {
            #expect(texts(scenario) == [answer])
        }
        let name = CozeAnswerGenerator.imageFilename(for: answer, seed: 2)
        #expect(name.hasPrefix("coze-") && name.hasSuffix(".png") && name.count == 25)
        #expect(texts(.imageMarkdown) == [answer + "\n\n![image](http://127.0.0.1:9/attachments/coze/\(name))"])
        #expect(texts(.quota) == [CozeAnswerGenerator.quotaText])
        #expect(texts(.silent) == [])
        #expect(texts(.long) == CozeAnswerGenerator.longAnswer(answer: answer, seed: 2, messages: 3))
    }

    @Test func scenarioMarkers() {
        #expect(CozeScenario.marked(in: "hi [scenario:image-embed] <@1>") == .imageEmbed)
        #expect(CozeScenario.marked(in: "[scenario:nope] [scenario:quota]") == .quota)
        #expect(CozeScenario.marked(in: "[scenario:] [scenario:Plain] [scenario:plain") == nil)
        #expect(CozeScenario.allCases.count == 10)
        for scenario in CozeScenario.allCases {
            #expect(CozeScenario.marked(in: "x [scenario:\(scenario.rawValue)]") == scenario)
        }
        #expect(CozePromptText.stripped("  <@1> a\n\n<@!22>b [scenario:long]  c <@x> ") == "a b c <@x>")
    }

    @Test func sampleImageIsAValidPNG() {
        let png = SampleImage.png
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        func be32(_ offset: Int) -> UInt32 {
            png[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
        }
        #expect(be32(16) == UInt32(SampleImage.width))
        #expect(be32(20) == UInt32(SampleImage.height))
        // Walk the chunks and check every CRC.
        var offset = 8
        var types: [String] = []
        while offset < png.count {
            let length = Int(be32(offset))
            let typeAndData = Array(png[(offset + 4)..<(offset + 8 + length)])
            #expect(crc32(typeAndData) == be32(offset + 8 + length))
            types.append(String(decoding: typeAndData.prefix(4), as: UTF8.self))
            offset += 12 + length
        }
        #expect(types == ["IHDR", "IDAT", "IEND"])
    }

    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

@Suite("CozeSettings")
struct CozeSettingsTests {
    @Test func defaultsMatchTheDoc() throws {
        let settings = CozeSettings()
        #expect(settings.startDelayMs == 300)
        #expect(settings.editIntervalMs == 250)
        #expect(settings.editJitterMs == 0)
        #expect(settings.chunks == 4)
        #expect(settings.ignoreBotAuthors == false)
        #expect(settings.defaultScenario == .plain)
        #expect(settings.longAnswerMessages == 3)
        #expect(settings.slowStartMs == 35_000)
        #expect(try CozeSettings(json: [:]) == settings)
        #expect(try CozeSettings(json: settings.json) == settings)
    }

    @Test func partialObjectsMerge() throws {
        var base = CozeSettings()
        base.chunks = 7
        let merged = try base.merged(with: ["edit_interval_ms": 5, "default_scenario": "rewrite", "slow_start_ms": nil])
        var expected = base
        expected.editIntervalMs = 5
        expected.defaultScenario = .rewrite
        #expect(merged == expected)
        #expect(try base.merged(with: ["ignore_bot_authors": true, "start_delay_ms": 1.0]).ignoreBotAuthors)
    }

    @Test func wrongTypesNameTheKey() {
        #expect(throws: CozeSettingsError(key: "chunks", problem: "must be an integer")) {
            try CozeSettings(json: ["chunks": "four"])
        }
        #expect(throws: CozeSettingsError(key: "chunks", problem: "must be at least 1")) {
            try CozeSettings(json: ["chunks": 0])
        }
        #expect(throws: CozeSettingsError(key: "ignore_bot_authors", problem: "must be a boolean")) {
            try CozeSettings(json: ["ignore_bot_authors": 1])
        }
        #expect(throws: CozeSettingsError.self) { try CozeSettings(json: ["default_scenario": "loud"]) }
        #expect(throws: CozeSettingsError.self) { try CozeSettings(json: "coze") }
        do {
            _ = try CozeSettings(json: ["edit_jitter_ms": -1])
            Issue.record("a negative jitter was accepted")
        } catch {
            #expect("\(error)" == "coze.edit_jitter_ms must be at least 0")
        }
    }

    @Test func codable() throws {
        let data = Data(#"{"chunks": 2, "default_scenario": "image-markdown"}"#.utf8)
        let decoded = try JSONDecoder().decode(CozeSettings.self, from: data)
        var expected = CozeSettings()
        expected.chunks = 2
        expected.defaultScenario = .imageMarkdown
        #expect(decoded == expected)
        let roundTrip = try JSONDecoder().decode(CozeSettings.self, from: JSONEncoder().encode(decoded))
        #expect(roundTrip == decoded)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CozeSettings.self, from: Data(#"{"default_scenario": "x"}"#.utf8))
        }
    }
}
