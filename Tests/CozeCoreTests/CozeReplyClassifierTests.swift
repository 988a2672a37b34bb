import DiscordEmulator
import Testing

@testable import CozeCore

@Suite struct CozeReplyClassifierTests {
    @Test func knownPhrasesAreClassified() {
        let cases: [(String, CozeReplyClassification)] = [
            (CozeAnswerGenerator.quotaText, .quotaExhausted(.sender)),
            ("You have exceeded the daily limit for sending messages to the bot. Please try again later.", .quotaExhausted(.sender)),
            (
                "Hi there! You've used up your free chat credits. To continue enjoying our service, please consider upgrading "
                    + "to our premium plan [Upgrade to Coze Premium to chat](https://www.coze.com/premium?connectID=1&botID=2)",
                .quotaExhausted(.sender)
            ),
            (
                "Hi there! You've used up your credits for today. To continue enjoying our service, please try again tomorrow "
                    + "or consider upgrading to our premium plan.",
                .quotaExhausted(.sender)
            ),
            (
                "The bot's usage is covered by the developer, but due to the developer's message credits being exhausted, "
                    + "the bot is temporarily unavailable.",
                .quotaExhausted(.creator)
            ),
            ("There are too many users now. Please try again a bit later.", .busy),
            ("Something wrong occurs, please retry. If the error persists, please contact the support team.", .error),
            ("Some error occurred. Please try again or contact the support team in our communities.", .error),
            ("We've detected unusual traffic from your network, so Coze is temporarily unavailable.", .error),
        ]
        for (text, expected) in cases {
            #expect(CozeReplyClassifier.classify(text) == expected, "\(text)")
        }
    }

    @Test func matchingIgnoresCaseWhitespaceApostrophesAndTrailingPunctuation() {
        let variants = [
            "  you have EXCEEDED the daily limit for sending messages to the bot.\nPlease   try again later  ",
            "You have exceeded the daily limit for sending messages to the bot. Please try again later!",
            "You have exceeded the daily limit for sending messages to the bot. Please try again later",
            "You have exceeded the daily limit for sending messages to the bot.  Please try again later。",
        ]
        for text in variants { #expect(CozeReplyClassifier.classify(text) == .quotaExhausted(.sender), "\(text)") }
        #expect(
            CozeReplyClassifier.classify(
                "The bot\u{2019}s usage is covered by the developer, but due to the developer\u{2019}s message credits "
                    + "being exhausted, the bot is temporarily unavailable") == .quotaExhausted(.creator))
        #expect(CozeReplyClassifier.classify("We\u{2019}ve detected unusual traffic from your network, so Coze is temporarily unavailable") == .error)
    }

    @Test func answersAreAnswers() {
        let answers = [
            "", "   ", "Hello!", "I'm sorry, but I can't assist with that.",
            // Quoting a canned text inside a real answer is not a failure…
            "People often see \"You have exceeded the daily limit for sending messages to the bot.\" when they chat too much.",
            // …and neither is an answer that starts with one and goes on at length.
            "There are too many users now. Please try again a bit later. " + String(repeating: "But here is a long explanation. ", count: 20),
        ]
        for text in answers { #expect(CozeReplyClassifier.classify(text) == .answer, "\(text)") }
    }

    /// Classifying stops reading a long text once it is sure to be too long for a canned one,
    /// but trailing punctuation, which normalising trims, never makes it give up.
    @Test func longTextsAtTheEdgeOfTheSlack() {
        // Without its full stop, so that the phrase plus a space and n letters normalise to
        // exactly the phrase's length plus 1 + n characters.
        let phrase = "There are too many users now. Please try again a bit later"
        let slack = CozeReplyClassifier.slack
        #expect(CozeReplyClassifier.classify(phrase + String(repeating: "!", count: 5_000)) == .busy)
        #expect(CozeReplyClassifier.classify(phrase + " " + String(repeating: "x", count: slack - 1)) == .busy)
        #expect(CozeReplyClassifier.classify(phrase + " " + String(repeating: "x", count: slack)) == .answer)
        #expect(!CozeReplyClassifier.mayBecomeFailure(String(repeating: "y", count: 100_000)))
    }

    @Test func leadingPartsMayBecomeFailures() {
        #expect(CozeReplyClassifier.mayBecomeFailure(""))
        #expect(CozeReplyClassifier.mayBecomeFailure("You"))
        #expect(CozeReplyClassifier.mayBecomeFailure("you have exceeded the"))
        #expect(CozeReplyClassifier.mayBecomeFailure("The bot's usage is covered by"))
        #expect(CozeReplyClassifier.mayBecomeFailure(CozeAnswerGenerator.quotaText))
        #expect(!CozeReplyClassifier.mayBecomeFailure("You are right"))
        #expect(!CozeReplyClassifier.mayBecomeFailure("Here are a few thoughts"))
    }

    @Test func classificationProperties() {
        #expect(!CozeReplyClassification.answer.isFailure)
        #expect(CozeReplyClassification.quotaExhausted(.creator).isFailure)
        #expect(!CozeReplyClassification.quotaExhausted(.sender).isRetryable)
        #expect(CozeReplyClassification.busy.isRetryable)
        #expect(CozeReplyClassification.error.isRetryable)
    }

    @Test func normalisationIsTheSameForASCIIAndOtherText() {
        // ASCII takes a byte path; the rest goes through Character. Both must give the same rules.
        #expect(CozeReplyClassifier.normalize("  Hello,\t\r\n  WORLD `quoted`!?. ") == "hello, world 'quoted'")
        #expect(CozeReplyClassifier.normalize("\u{00A0}Ça\u{2003}VA \u{2018}Bien\u{2019} \u{201C}Oui\u{201D}\u{2026}") == "ça va 'bien' \"oui\"")
        #expect(CozeReplyClassifier.normalize("ÉCOLE\u{3002}") == "école")
        #expect(CozeReplyClassifier.normalize("e\u{301}t\u{00C9}!") == "e\u{301}t\u{00E9}")
        #expect(CozeReplyClassifier.normalize(" \n ") == "")
        // The length cut counts what the trailing trim cannot remove, on both paths.
        #expect(CozeReplyClassifier.normalize("abc...", unlessLongerThan: 3) == "abc")
        #expect(CozeReplyClassifier.normalize("abcd", unlessLongerThan: 3) == nil)
        #expect(CozeReplyClassifier.normalize("ééé\u{2026}", unlessLongerThan: 3) == "ééé")
        #expect(CozeReplyClassifier.normalize("éééé", unlessLongerThan: 3) == nil)
    }
}
