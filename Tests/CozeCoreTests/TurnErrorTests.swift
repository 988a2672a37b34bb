import DiscordWire
import Testing

@testable import CozeCore

@Suite struct TurnErrorTests {
    @Test func descriptionsSayWhatToDo() {
        #expect(TurnError.noReply(promptAuthoredByBot: true, cozeTyped: false).description.contains("Sender_Mode: user"))
        #expect(TurnError.noReply(promptAuthoredByBot: false, cozeTyped: false).description.contains("CozeBot_id"))
        #expect(TurnError.quotaExhausted(.creator, cozeText: "x").description.contains("taken out of its pool"))
        #expect(TurnError.quotaExhausted(.sender, cozeText: "x").description.contains("resets daily"))
        #expect(TurnError.idleTimeout(after: .milliseconds(10_000)).description.contains("10 s"))
        #expect(TurnError.overallTimeout(after: .milliseconds(1_500), partialText: "abc").description
            == "The turn took longer than 1.5 s (the overall timeout); 3 characters had arrived.")
        #expect(TurnError.channelDeleted(channelID: Snowflake(5)).description.contains("channel 5 was deleted"))
    }

    @Test func discordErrorsKeepStatusCodeAndMessage() {
        let http = DiscordHTTPError(kind: .clientError, route: "POST /channels/{channel_id}/messages", status: 403, code: 50013, message: "Missing Permissions")
        let error = TurnError.discord(http)
        #expect(error == .discord(status: 403, code: 50013, message: http.description))
        #expect(error.description == "Discord refused a request of the turn (HTTP 403, code 50013): \(http.description)")
        #expect(!error.isRetryable)
        #expect(TurnError.discord(status: 503, code: nil, message: "down").isRetryable)
        #expect(TurnError.cozeError(cozeText: "busy", retryable: true).isRetryable)
        #expect(!TurnError.quotaExhausted(.sender, cozeText: "q").isRetryable)
    }
}
